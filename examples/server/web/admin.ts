/**
 * The operator page (`/admin`): the admin API at `/admin/api` with the bearer token the studio page
 * keeps after sign-in. To anyone not in IMAGEGEN_ADMINS that API is a 404, and so is this page.
 */
const TOKEN_KEY = 'imagegen.token';
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const token = localStorage.getItem(TOKEN_KEY);

class NotFound extends Error {}

async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`/admin/api${path}`, {
    ...init,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) },
  });
  if (response.status === 404 && path === '/overview') throw new NotFound();
  const body = (await response.json().catch(() => ({}))) as T & { error?: string };
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

function message(text: string): void {
  const box = $('toast');
  box.textContent = text;
  box.className = 'toast info';
  box.hidden = false;
}

/** A table row of text cells (textContent only: nothing from the server is parsed as HTML). */
function row(cells: Array<string | number | null>, extra?: HTMLElement): HTMLTableRowElement {
  const tr = document.createElement('tr');
  for (const cell of cells) {
    const td = document.createElement('td');
    td.textContent = cell === null ? '–' : String(cell);
    tr.append(td);
  }
  if (extra) {
    const td = document.createElement('td');
    td.append(extra);
    tr.append(td);
  }
  return tr;
}

const time = (ms: number) => new Date(ms).toLocaleTimeString();

interface Overview {
  tasks: { waiting: number; running: number } | null;
  provider: string | null;
  keys: Array<{
    label: string;
    in_flight: number;
    successes: number | null;
    failures: number | null;
    cool_downs: number | null;
    cooling_until: number | null;
    disabled_reason: string | null;
  }> | null;
}
interface Failed {
  tasks: Array<{ batch_id: string; username: string; task_index: number; attempts: number; error: string | null; failed_at: number }>;
}
interface Credits {
  balance: number;
  entries: Array<{
    kind: string;
    amount: number;
    balanceAfter: number;
    reference: string | null;
    reason: string | null;
    createdAt: number;
  }>;
}

async function refreshOverview(): Promise<void> {
  const overview = await call<Overview>('/overview');
  $('waiting').textContent = overview.tasks ? String(overview.tasks.waiting) : 'n/a';
  $('running').textContent = overview.tasks ? String(overview.tasks.running) : 'n/a';
  $('provider-name').textContent = overview.provider ? `(${overview.provider})` : '';
  $('no-keys').hidden = overview.keys !== null;
  $('keys').replaceChildren(
    ...(overview.keys ?? []).map((k) =>
      row([
        k.label,
        k.in_flight,
        k.successes,
        k.failures,
        k.cool_downs,
        k.disabled_reason
          ? `out of rotation: ${k.disabled_reason}`
          : k.cooling_until && k.cooling_until > Date.now()
            ? 'cooling down'
            : 'in rotation',
      ]),
    ),
  );
}

async function refreshFailures(): Promise<void> {
  const failed = await call<Failed>('/tasks/failed?limit=20');
  $('failures').replaceChildren(
    ...failed.tasks.map((t) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = 'Requeue';
      button.dataset.testid = 'requeue';
      button.addEventListener('click', () => void requeue(t.batch_id, t.task_index));
      return row([t.batch_id, t.username, t.task_index, t.attempts, t.error, time(t.failed_at)], button);
    }),
  );
}

async function requeue(batchId: string, index: number): Promise<void> {
  try {
    const result = await call<{ outcome: string }>('/tasks/requeue', {
      method: 'POST',
      body: JSON.stringify({ batch_id: batchId, task_index: index }),
    });
    message(`Task ${index} of ${batchId}: ${result.outcome}`);
    await refreshFailures();
  } catch (error) {
    message((error as Error).message);
  }
}

let ledgerUser = '';
async function showLedger(username: string): Promise<void> {
  const credits = await call<Credits>(`/credits?username=${encodeURIComponent(username)}&limit=50`);
  ledgerUser = username;
  ($('ledger-export') as HTMLButtonElement).disabled = false;
  $('balance').textContent = String(credits.balance);
  $('ledger').replaceChildren(
    ...credits.entries.map((e) => row([time(e.createdAt), e.kind, e.amount, e.balanceAfter, e.reference, e.reason])),
  );
}

/** The export needs the bearer header, so it is fetched and handed to the browser as a file. */
async function exportLedger(): Promise<void> {
  const response = await fetch(`/admin/api/ledger.csv?username=${encodeURIComponent(ledgerUser)}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (!response.ok) return message(`Export failed (HTTP ${response.status})`);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = `ledger-${ledgerUser}.csv`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function main(): Promise<void> {
  try {
    await refreshOverview();
  } catch (error) {
    if (error instanceof NotFound) {
      $('not-found').hidden = false;
      document.title = 'Not found';
      return;
    }
    throw error;
  }
  $('operator').hidden = false;
  await refreshFailures();
  $('ledger-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const username = String(new FormData(event.target as HTMLFormElement).get('username') ?? '').trim();
    if (username) void showLedger(username).catch((error: Error) => message(error.message));
  });
  $('ledger-export').addEventListener('click', () => void exportLedger());
  $('cancel-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const index = String(form.get('task_index') ?? '').trim();
    const body = { batch_id: String(form.get('batch_id') ?? '').trim(), ...(index ? { task_index: Number(index) } : {}) };
    void call<{ result: { cancelled: number[] } }>('/batches/cancel', { method: 'POST', body: JSON.stringify(body) })
      .then((answer) => message(`Cancelled tasks: ${answer.result.cancelled.join(', ') || 'none'}`))
      .catch((error: Error) => message(error.message));
  });
  setInterval(() => {
    void refreshOverview().catch(() => {});
    void refreshFailures().catch(() => {});
  }, 1000);
}

void main();
