/**
 * The Workers example when the runtime goes away mid-task: Miniflare is disposed while a batch
 * runs (the consumer invocation dies with its tasks `processing` under a lease in D1), started
 * again on the same persisted D1/R2/Queues, and the recovery cron queues the tasks again: while
 * the dead consumer's lease (8 s) is live nobody takes them (busy: the message is sent again
 * delayed until the lease ends), then the consumer takes them over (claim number 2) and completes them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { issueToken } from '../../examples/workers/auth.js';
import { findNode22 } from './node22.js';
import { bundleWorker, type RunningWorker, startWorker } from './workerd.js';

const node = findNode22();
if (!node.ok) console.warn(`SKIPPED: the Workers crash-recovery test needs Node 22 for Miniflare: ${node.reason}`);

const TOKEN_SECRET = 'test-token-secret-0123456789abcdefghijkl';
type Task = { status: string; progress: number; attempts: number };
type Batch = { status: string; tasks: Task[] };

describe.skipIf(!node.ok)('examples/workers: tasks of a consumer that died are taken over after their lease', () => {
  const persist = mkdtempSync(join(tmpdir(), 'igk-mf-persist-'));
  let worker: RunningWorker | null = null;
  afterAll(async () => {
    await worker?.stop();
    rmSync(persist, { recursive: true, force: true });
  });

  const start = async (script: string) =>
    startWorker({
      scriptPath: script,
      defaultPersistRoot: persist,
      d1Databases: { DB: 'imagegen' },
      r2Buckets: { IMAGES: 'imagegen-images' },
      queueProducers: { TASKS: { queueName: 'imagegen-tasks' } },
      queueConsumers: { 'imagegen-tasks': { maxBatchSize: 10, maxBatchTimeout: 1, maxRetries: 10 } },
      unsafeTriggerHandlers: true,
      bindings: {
        TOKEN_SECRET,
        IMAGE_URL_SECRET: 'test-image-url-secret-0123456789abcdef',
        WELCOME_CREDITS: '20',
        OFFLINE_LATENCY_MS: '4000',
        LEASE_MS: '8000',
      },
    });

  it('completes every task after a restart mid-run, each on its second claim', async () => {
    const script = await bundleWorker(new URL('../../examples/workers/worker.ts', import.meta.url).pathname, false);
    worker = await start(script);
    const token = await issueToken(TOKEN_SECRET, `crash${Date.now().toString(36)}`);
    const status = async () =>
      (await (
        await fetch(new URL(`/api/batch/status?batch_id=${encodeURIComponent(batchId)}`, worker!.url), {
          headers: { authorization: `Bearer ${token}` },
        })
      ).json()) as Batch;
    const submit = await fetch(new URL('/api/batch/generate', worker.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a lighthouse', count: 2 }),
    });
    const { batch_id: batchId } = (await submit.json()) as { batch_id: string };

    // Wait until both run (claimed, request sent to the provider), then take the runtime away.
    let before: Batch;
    do {
      await new Promise((r) => setTimeout(r, 200));
      before = await status();
    } while (!before.tasks.every((t) => t.status === 'processing' && t.progress >= 30));
    const stopped = Date.now();
    await worker.stop();
    worker = await start(script);
    console.log(`Worker crash recovery: runtime stopped and started again in ${Date.now() - stopped} ms`);
    const stranded = await status();
    expect(stranded.tasks.map((t) => [t.status, t.attempts])).toEqual([
      ['processing', 1],
      ['processing', 1],
    ]);

    const restarted = Date.now();
    expect((await fetch(new URL('/cdn-cgi/handler/scheduled', worker.url))).status).toBe(200);
    // The lease of the dead run is still live: the queued-again jobs must leave the tasks alone.
    await new Promise((r) => setTimeout(r, 2000));
    expect((await status()).tasks.map((t) => [t.status, t.attempts])).toEqual([
      ['processing', 1],
      ['processing', 1],
    ]);
    let after: Batch;
    do {
      await new Promise((r) => setTimeout(r, 500));
      after = await status();
      expect(Date.now() - restarted, JSON.stringify(after.tasks)).toBeLessThan(60_000);
    } while (after.status !== 'completed');
    console.log(`Worker crash recovery: both tasks completed ${Date.now() - restarted} ms after the restart`);
    expect(after.tasks.map((t) => [t.status, t.progress, t.attempts])).toEqual([
      ['completed', 100, 2],
      ['completed', 100, 2],
    ]);
  }, 120_000);
});
