import { createClient, isImageGenApiError, type PublicBatch, type PublicTask } from '../../../src/client/index.js';

const TOKEN_KEY = 'imagegen.token';
const USER_KEY = 'imagegen.user';
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

let token: string | null = localStorage.getItem(TOKEN_KEY);
const api = createClient({ token: () => token });

// ---------- messages ----------
let toastTimer: ReturnType<typeof setTimeout> | undefined;
function toast(text: string, kind: 'error' | 'info' = 'error'): void {
  const box = $('toast');
  box.textContent = text;
  box.className = `toast ${kind === 'info' ? 'info' : ''}`;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (box.hidden = true), kind === 'info' ? 3000 : 8000);
}

/** A sentence a person can act on, for any failure. */
function describe(error: unknown): string {
  if (!isImageGenApiError(error)) return error instanceof Error ? error.message : String(error);
  const d = error.details;
  switch (error.code) {
    case 'insufficient_credits':
      return `Not enough credits: this needs ${d.required} and you have ${d.available}.`;
    case 'unsupported_media_type':
      return 'That file is not an image we can use: choose a JPEG, PNG or WebP file.';
    case 'payload_too_large':
      return d.unit === 'pixels'
        ? `That image is too big: ${d.width}×${d.height} pixels, the limit is ${d.max_side} pixels a side.`
        : 'That file is too large: images can be at most 10 MB.';
    case 'rate_limited':
      return 'Too many requests at once: wait a moment and try again.';
    case 'network':
    case 'network_timeout':
      return 'Cannot reach the server. Check your connection and try again.';
    case 'unauthorized':
      return 'Your session has ended: sign in again.';
    default:
      return error.message;
  }
}

function fail(error: unknown): void {
  if (isImageGenApiError(error) && error.status === 401) signOut(false);
  toast(describe(error));
}

// ---------- session ----------
function showSession(): void {
  const signedIn = token !== null;
  $('sign-in-view').hidden = signedIn;
  $('studio-view').hidden = !signedIn;
  $('account').hidden = !signedIn;
  $('user-name').textContent = localStorage.getItem(USER_KEY) ?? '';
  if (signedIn) {
    void refreshCredits();
    void loadHistory(true);
  }
}

function signOut(tellServer = true): void {
  if (tellServer && token) void fetch('/auth/sign-out', { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
  token = null;
  localStorage.removeItem(TOKEN_KEY);
  watch?.abort();
  showSession();
}

$('sign-in-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target as HTMLFormElement);
  const button = (event.target as HTMLFormElement).querySelector('button')!;
  button.disabled = true;
  try {
    const response = await fetch('/auth/sign-in', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: form.get('username'), password: form.get('password') }),
    });
    const body = (await response.json()) as { token?: string; username?: string; created?: boolean; error?: string };
    if (!response.ok || !body.token) throw new Error(body.error ?? 'Sign-in failed');
    token = body.token;
    localStorage.setItem(TOKEN_KEY, body.token);
    localStorage.setItem(USER_KEY, body.username!);
    showSession();
    if (body.created) toast('Welcome! Your account has 20 credits to start with.', 'info');
  } catch (error) {
    toast(describe(error));
  } finally {
    button.disabled = false;
  }
});
$('sign-out').addEventListener('click', () => signOut());

async function refreshCredits(): Promise<void> {
  try {
    const { balance } = await api.credits({ limit: 1 });
    $('credits').textContent = String(balance);
  } catch (error) {
    fail(error);
  }
}

// ---------- images ----------
/** What stays the same for one image across responses: its URL without the signature's query. */
const imageIdentity = (url: string) => url.split('?')[0]!;

// ---------- image-to-image ----------
let inputImage: string | null = null;
const dropZone = $('drop-zone');
const fileInput = $<HTMLInputElement>('file-input');

async function takeFile(file: File | undefined): Promise<void> {
  if (!file) return;
  $<HTMLButtonElement>('i2i-submit').disabled = true;
  try {
    const uploaded = await api.uploadImage(file);
    inputImage = uploaded.data_url;
    const preview = $<HTMLImageElement>('upload-preview');
    // A blob: URL of the picked file (the CSP allows blob: images, not data: ones).
    if (preview.src.startsWith('blob:')) URL.revokeObjectURL(preview.src);
    preview.src = URL.createObjectURL(file);
    preview.hidden = false;
    $('drop-hint').hidden = true;
    $<HTMLButtonElement>('i2i-submit').disabled = false;
  } catch (error) {
    fail(error);
    $<HTMLButtonElement>('i2i-submit').disabled = inputImage === null;
  } finally {
    fileInput.value = '';
  }
}

fileInput.addEventListener('change', () => void takeFile(fileInput.files?.[0]));
dropZone.addEventListener('dragover', (event) => {
  event.preventDefault();
  dropZone.classList.add('dragging');
});
dropZone.addEventListener('dragleave', () => dropZone.classList.remove('dragging'));
dropZone.addEventListener('drop', (event) => {
  event.preventDefault();
  dropZone.classList.remove('dragging');
  void takeFile(event.dataTransfer?.files[0]);
});

const i2iForm = $<HTMLFormElement>('i2i-form');
const strength = i2iForm.elements.namedItem('strength') as HTMLInputElement;
strength.addEventListener('input', () => ($('strength-value').textContent = Number(strength.value).toFixed(2)));

i2iForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!inputImage) return toast('Upload an image first.');
  const form = new FormData(i2iForm);
  const button = $<HTMLButtonElement>('i2i-submit');
  button.disabled = true;
  $('i2i-result').hidden = false;
  $('i2i-spinner').hidden = false;
  $('i2i-image').hidden = true;
  $('i2i-caption').textContent = 'Transforming…';
  try {
    const result = await api.imageToImage({
      prompt: String(form.get('prompt') ?? ''),
      input_image: inputImage,
      image_prompt_strength: Number(strength.value),
      aspect_ratio: String(form.get('aspect_ratio')) as '1:1',
    });
    const img = $<HTMLImageElement>('i2i-image');
    img.onload = () => {
      $('i2i-spinner').hidden = true;
      img.hidden = false;
    };
    img.onerror = () => {
      $('i2i-spinner').hidden = true;
      toast('The new image could not be loaded.');
    };
    img.src = result.image_url;
    $('i2i-caption').textContent = `Done · ${result.credits_remaining} credits left`;
    $('credits').textContent = String(result.credits_remaining);
  } catch (error) {
    $('i2i-spinner').hidden = true;
    $('i2i-caption').textContent = '';
    fail(error);
  } finally {
    button.disabled = false;
  }
});

// ---------- batches ----------
const batchForm = $<HTMLFormElement>('batch-form');
let mode: 'prompts' | 'count' = 'prompts';
for (const button of batchForm.querySelectorAll<HTMLButtonElement>('.segmented button')) {
  button.addEventListener('click', () => {
    mode = button.dataset.mode as typeof mode;
    for (const other of batchForm.querySelectorAll('.segmented button')) {
      other.classList.toggle('active', other === button);
      other.setAttribute('aria-pressed', String(other === button));
    }
    for (const part of batchForm.querySelectorAll<HTMLElement>('[data-for]')) part.hidden = part.dataset.for !== mode;
    updateBatchButton();
  });
}
function batchSize(): number {
  const form = new FormData(batchForm);
  if (mode === 'count') return Number(form.get('count')) || 0;
  return String(form.get('prompts') ?? '')
    .split('\n')
    .filter((line) => line.trim()).length;
}
function updateBatchButton(): void {
  const n = batchSize();
  $('batch-submit').textContent = n > 0 ? `Generate ${n} image${n === 1 ? '' : 's'} · ${n} credit${n === 1 ? '' : 's'}` : 'Generate';
}
batchForm.addEventListener('input', updateBatchButton);

batchForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(batchForm);
  const aspect_ratio = String(form.get('aspect_ratio')) as '1:1';
  const body =
    mode === 'prompts'
      ? {
          prompts: String(form.get('prompts') ?? '')
            .split('\n')
            .map((p) => p.trim())
            .filter(Boolean),
          aspect_ratio,
        }
      : { prompt: String(form.get('prompt') ?? ''), count: Number(form.get('count')), aspect_ratio };
  const button = $<HTMLButtonElement>('batch-submit');
  button.disabled = true;
  try {
    const created = await api.submitBatch(body);
    $('credits').textContent = String(created.credits_remaining);
    void showBatch(created.batch_id);
    void loadHistory(true);
  } catch (error) {
    fail(error);
  } finally {
    button.disabled = false;
  }
});

let watch: AbortController | undefined;

/** Shows a batch and follows it live (event stream, polling when that fails) until it completes. */
async function showBatch(batchId: string): Promise<void> {
  watch?.abort();
  const controller = new AbortController();
  watch = controller;
  $('current').hidden = false;
  $('current-id').textContent = batchId;
  $('tasks').replaceChildren();
  try {
    for await (const batch of api.watchBatch(batchId, { signal: controller.signal })) renderBatch(batch);
    void refreshCredits();
    void loadHistory(true);
  } catch (error) {
    if (!controller.signal.aborted) fail(error);
  }
}

function renderBatch(batch: PublicBatch): void {
  const chip = $('current-status');
  chip.textContent = batch.status === 'completed' ? `completed · ${batch.completedTasks} of ${batch.totalTasks} done` : batch.status;
  chip.className = `chip ${batch.status}`;
  cancelButton(batch.batchId).hidden = batch.status === 'completed';
  const list = $('tasks');
  batch.tasks.forEach((task, index) => {
    let row = list.children[index] as HTMLLIElement | undefined;
    if (!row) {
      row = taskRow();
      list.append(row);
    }
    updateTaskRow(row, batch.batchId, index, task);
  });
}

/** A small button that cancels the batch, or one task of it, and shows the batch again. */
function cancelControl(batchId: string, label: string, taskIndex?: number): HTMLButtonElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'small';
  button.textContent = label;
  button.setAttribute('data-testid', taskIndex === undefined ? 'batch-cancel' : 'task-cancel');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await api.cancelBatch(batchId, taskIndex === undefined ? {} : { taskIndex });
      void refreshCredits();
      void showBatch(batchId);
    } catch (error) {
      button.disabled = false;
      fail(error);
    }
  });
  return button;
}

/** The Cancel button of the batch shown, next to its status. */
function cancelButton(batchId: string): HTMLButtonElement {
  const chip = $('current-status');
  const existing = chip.nextElementSibling;
  if (existing instanceof HTMLButtonElement && existing.dataset.batch === batchId) return existing;
  if (existing instanceof HTMLButtonElement && existing.dataset.batch) existing.remove();
  const button = cancelControl(batchId, 'Cancel batch');
  button.dataset.batch = batchId;
  chip.after(button);
  return button;
}

function taskRow(): HTMLLIElement {
  const row = document.createElement('li');
  row.className = 'task';
  row.dataset.testid = 'task';
  row.innerHTML = `<div class="thumb"></div><div class="meta"><div class="prompt"></div><div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100"><span></span></div><div class="line"><span class="status"></span><span class="pct"></span></div></div>`;
  row.setAttribute('data-testid', 'task');
  return row;
}

function updateTaskRow(row: HTMLLIElement, batchId: string, index: number, task: PublicTask): void {
  row.className = `task ${task.status}`;
  row.querySelector('.prompt')!.textContent = task.prompt;
  (row.querySelector('.prompt') as HTMLElement).title = task.prompt;
  const bar = row.querySelector<HTMLElement>('.bar')!;
  bar.setAttribute('aria-label', `Progress of image ${index + 1}: ${task.prompt}`);
  bar.setAttribute('aria-valuenow', String(task.progress));
  bar.dataset.progress = String(task.progress);
  bar.querySelector('span')!.style.width = `${task.progress}%`;
  row.querySelector('.pct')!.textContent = `${Math.round(task.progress)}%`;
  const status = row.querySelector<HTMLElement>('.status')!;
  const thumb = row.querySelector<HTMLElement>('.thumb')!;
  if (task.status === 'completed' && task.result) {
    status.textContent = 'done';
    // Responses carry freshly signed URLs; an image already shown is kept, not loaded again.
    if (thumb.dataset.url !== imageIdentity(task.result.imageUrl)) {
      thumb.dataset.url = imageIdentity(task.result.imageUrl);
      thumb.className = 'thumb done';
      const img = document.createElement('img');
      img.alt = task.prompt;
      img.setAttribute('data-testid', 'task-image');
      img.src = task.result.imageUrl;
      thumb.replaceChildren(img);
    }
  } else if (task.status === 'failed') {
    status.replaceChildren();
    const retry = document.createElement('button');
    retry.type = 'button';
    retry.className = 'small';
    retry.textContent = 'Retry · 1 credit';
    retry.setAttribute('data-testid', 'retry');
    retry.addEventListener('click', async () => {
      retry.disabled = true;
      try {
        const answer = await api.retryTask(batchId, index);
        $('credits').textContent = String(answer.credits_remaining);
        void showBatch(batchId);
      } catch (error) {
        retry.disabled = false;
        fail(error);
      }
    });
    status.append('failed ', retry);
    thumb.className = 'thumb failed';
    thumb.textContent = task.error ?? 'Failed';
    delete thumb.dataset.url;
  } else {
    if (task.status !== 'pending') status.textContent = task.status === 'cancelled' ? 'cancelled' : 'generating';
    // A waiting task keeps its Cancel button across updates (a new one would swallow a click).
    else if (!status.querySelector('[data-testid="task-cancel"]'))
      status.replaceChildren('waiting ', cancelControl(batchId, 'Cancel', index));
    if (thumb.className !== 'thumb') {
      thumb.className = 'thumb';
      thumb.replaceChildren();
      delete thumb.dataset.url;
    }
  }
}

// ---------- history ----------
let historyCursor: string | null = null;
async function loadHistory(reset: boolean): Promise<void> {
  try {
    const page = await api.listBatches({ limit: 8, cursor: reset ? null : historyCursor });
    historyCursor = page.next_cursor;
    const list = $('history');
    if (reset) list.replaceChildren();
    for (const batch of page.batches) {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      const when = document.createElement('span');
      when.textContent = new Date(batch.createdAt).toLocaleString();
      const count = document.createElement('span');
      count.className = 'count';
      count.textContent = `${batch.completedTasks}/${batch.totalTasks} done${batch.failedTasks ? ` · ${batch.failedTasks} failed` : ''}`;
      const chip = document.createElement('span');
      chip.className = `chip ${batch.failedTasks && batch.status === 'completed' ? 'failed' : batch.status}`;
      chip.textContent = batch.status;
      button.append(when, count, chip);
      button.addEventListener('click', () => void showBatch(batch.batchId));
      item.append(button);
      list.append(item);
    }
    $('history-empty').hidden = list.children.length > 0;
    $('history-more').hidden = historyCursor === null;
  } catch (error) {
    fail(error);
  }
}
$('history-refresh').addEventListener('click', () => void loadHistory(true));
$('history-more').addEventListener('click', () => void loadHistory(false));

updateBatchButton();
showSession();
