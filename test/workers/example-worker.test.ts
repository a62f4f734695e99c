/**
 * The seed's frontend flow against examples/workers running in workerd (Miniflare): D1 storage,
 * R2 images, a Queue between submit and the consumer, and the offline provider (PNG encoder). A
 * batch of three is submitted, its status polled every 2 s as the seed's page does, until every
 * task is at 100, and each image is fetched through its signed URL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../../examples/workers/auth.js';
import { parseEventStream } from '../../src/client/sse.js';
import { findNode22 } from './node22.js';
import { bundleWorker, type RunningWorker, startWorker } from './workerd.js';

const node = findNode22();
if (!node.ok) console.warn(`SKIPPED: the Workers example test needs Node 22 for Miniflare: ${node.reason}`);

const TOKEN_SECRET = 'test-token-secret-0123456789abcdefghijkl';
/** The seed's page polls every 2 s. */
const POLL_MS = 2000;

type Task = {
  taskId: string;
  status: string;
  progress: number;
  attempts: number;
  result: { imageUrl: string } | null;
  error: string | null;
};
type Batch = { batchId: string; status: string; totalTasks: number; completedTasks: number; tasks: Task[] };

describe.skipIf(!node.ok)('examples/workers in workerd: D1, R2, Queues and the offline provider', () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    // No Node built-ins and no nodejs_compat: the Worker runs on the Workers platform APIs alone.
    const script = await bundleWorker(new URL('../../examples/workers/worker.ts', import.meta.url).pathname, false);
    worker = await startWorker({
      scriptPath: script,
      d1Databases: { DB: 'imagegen' },
      r2Buckets: { IMAGES: 'imagegen-images' },
      queueProducers: { TASKS: { queueName: 'imagegen-tasks' } },
      queueConsumers: { 'imagegen-tasks': { maxBatchSize: 10, maxBatchTimeout: 1, maxRetries: 10 } },
      // GET /cdn-cgi/handler/scheduled runs the cron handler (recovery).
      unsafeTriggerHandlers: true,
      bindings: {
        TOKEN_SECRET,
        IMAGE_URL_SECRET: 'test-image-url-secret-0123456789abcdef',
        WELCOME_CREDITS: '20',
        OFFLINE_LATENCY_MS: '1500',
      },
    });
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
  });

  const call = async (path: string, token: string | null, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    if (init.body) headers.set('content-type', 'application/json');
    return fetch(new URL(path, worker.url), { ...init, headers });
  };

  it('answers 401 without a valid token', async () => {
    expect((await call('/api/credits', null)).status).toBe(401);
    const forged = `alice.${'A'.repeat(43)}`;
    expect((await call('/api/credits', forged)).status).toBe(401);
  });

  it('submits a batch of three, polls status until every task is at 100, and serves each image from R2', async () => {
    const token = await issueToken(TOKEN_SECRET, `fox${Date.now().toString(36)}`);
    const submit = await call('/api/batch/generate', token, { method: 'POST', body: JSON.stringify({ prompt: 'a red fox', count: 3 }) });
    const submitted = (await submit.json()) as { batch_id: string; total_tasks: number; credits_remaining: number };
    expect(submit.status, JSON.stringify(submitted)).toBe(200);
    expect(submitted).toMatchObject({ total_tasks: 3, credits_remaining: 17 });

    const started = Date.now();
    const seen: number[][] = [];
    let batch: Batch;
    for (;;) {
      const status = await call(`/api/batch/status?batch_id=${encodeURIComponent(submitted.batch_id)}`, token);
      expect(status.status).toBe(200);
      batch = (await status.json()) as Batch;
      seen.push(batch.tasks.map((t) => t.progress));
      if (batch.status === 'completed') break;
      expect(Date.now() - started, `still ${JSON.stringify(batch.tasks.map((t) => [t.status, t.progress]))}`).toBeLessThan(60_000);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    console.log(
      `Worker flow: batch of 3 completed in ${Date.now() - started} ms over ${seen.length} polls; progress seen ${JSON.stringify(seen)}`,
    );
    expect(batch.completedTasks).toBe(3);
    expect(batch.tasks.map((t) => [t.status, t.progress, t.error])).toEqual(Array(3).fill(['completed', 100, null]));
    // The bars moved through the documented steps, not straight from 0 to 100.
    expect(seen.flat().some((p) => p > 0 && p < 100)).toBe(true);

    for (const task of batch.tasks) {
      const image = await fetch(new URL(task.result!.imageUrl, worker.url));
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe('image/png');
      const bytes = new Uint8Array(await image.arrayBuffer());
      expect(Array.from(bytes.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    }
    const credits = (await (await call('/api/credits', token)).json()) as { balance?: number; credits?: number };
    expect(credits.balance ?? credits.credits).toBe(17);
  }, 120_000);

  it('streams the batch over server-sent events, progress read back from D1 (the consumer has its own engine), until it completes', async () => {
    const token = await issueToken(TOKEN_SECRET, `owl${Date.now().toString(36)}`);
    const submit = await call('/api/batch/generate', token, { method: 'POST', body: JSON.stringify({ prompts: ['an owl', 'a snail'] }) });
    const { batch_id } = (await submit.json()) as { batch_id: string };
    const started = Date.now();
    const response = await call(`/api/batch/events?batch_id=${encodeURIComponent(batch_id)}`, token);
    expect(response.status).toBe(200);
    const names: string[] = [];
    let completed: Batch | null = null;
    for await (const event of parseEventStream(response.body!)) {
      names.push(event.event);
      if (event.event === 'completed') completed = JSON.parse(event.data) as Batch;
    }
    console.log(`Worker event stream: ${names.join(', ')} in ${Date.now() - started} ms`);
    expect(names[0]).toBe('snapshot');
    expect(completed?.tasks.map((t) => [t.status, t.progress])).toEqual([
      ['completed', 100],
      ['completed', 100],
    ]);
  }, 60_000);

  it('the recovery cron queues the open tasks again while they run, and each still runs once', async () => {
    const token = await issueToken(TOKEN_SECRET, `kite${Date.now().toString(36)}`);
    const submit = await call('/api/batch/generate', token, { method: 'POST', body: JSON.stringify({ prompt: 'a kite', count: 3 }) });
    const { batch_id } = (await submit.json()) as { batch_id: string };
    // Twice: once while the tasks are likely pending, once while they run under their leases.
    expect((await fetch(new URL('/cdn-cgi/handler/scheduled', worker.url))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 700));
    expect((await fetch(new URL('/cdn-cgi/handler/scheduled', worker.url))).status).toBe(200);
    let batch: Batch;
    const started = Date.now();
    do {
      await new Promise((r) => setTimeout(r, POLL_MS));
      batch = (await (await call(`/api/batch/status?batch_id=${encodeURIComponent(batch_id)}`, token)).json()) as Batch;
      expect(Date.now() - started).toBeLessThan(60_000);
    } while (batch.status !== 'completed');
    // The cron did queue them again (at least the three of this batch, the first time)...
    const queuedAgain = [...worker.log().matchAll(/recovery: (\d+) open tasks queued again/g)].map((m) => Number(m[1]));
    expect(queuedAgain.length).toBe(2);
    expect(queuedAgain[0]).toBeGreaterThanOrEqual(3);
    // ...and the claims (compare-and-set in D1) let each task run once.
    expect(batch.tasks.map((t) => [t.status, t.progress, t.attempts])).toEqual(Array(3).fill(['completed', 100, 1]));
    expect((await (await call('/api/credits', token)).json()) as { balance: number }).toMatchObject({ balance: 17 });
  }, 90_000);
});
