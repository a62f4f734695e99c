import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryImageStore } from '../../src/adapters/image-stores/memory/index.js';
import { createOfflineProvider } from '../../src/adapters/providers/offline/index.js';
import { createMemoryStorage } from '../../src/adapters/storage/memory/index.js';
import { createEngine, type Engine } from '../../src/core/engine.js';
import { ConflictError, NotFoundError } from '../../src/core/errors/index.js';
import type { TaskCancelledEvent } from '../../src/core/events.js';
import type { EngineOptions } from '../../src/core/options.js';
import type { StorageAdapter } from '../../src/core/ports/storage-adapter.js';

const quiet = { warn() {}, error() {} };
const engines: Engine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.stop({ graceMs: 0 })));
});

/** A provider that never finishes on its own (until `pollsBeforeReady`), recording every cancel. */
function slowProvider(pollsBeforeReady = 10_000) {
  const provider = createOfflineProvider({ size: 32, pollsBeforeReady });
  const cancelled: string[] = [];
  const cancel = provider.cancel!.bind(provider);
  provider.cancel = async (requestId) => {
    cancelled.push(requestId);
    await cancel(requestId);
  };
  return Object.assign(provider, { cancelled });
}

function engineOn(storage: StorageAdapter, provider = slowProvider(), options: Partial<EngineOptions> = {}) {
  const engine = createEngine({
    storage,
    provider,
    imageStore: createMemoryImageStore(),
    pollPolicy: { pollIntervalMs: 5, maxPolls: 100_000 },
    progressWriteIntervalMs: 0,
    concurrency: 1,
    logger: quiet,
    ...options,
  });
  engines.push(engine);
  return engine;
}

async function until(check: () => Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const running = (engine: Engine, username: string, batchId: string) => async () =>
  (await engine.batches.status(username, batchId)).tasks[0]!.providerRequestId !== null;

describe('batches.cancel', () => {
  it('refunds the waiting tasks once, stops the running one without a refund and cancels its provider request', async () => {
    const provider = slowProvider();
    const engine = engineOn(createMemoryStorage(), provider);
    await engine.start();
    await engine.credits.grant('amy', 3, { idempotencyKey: 'g' });
    const { batch } = await engine.batches.submit('amy', { prompt: 'a fox', count: 3 });
    await until(running(engine, 'amy', batch.batchId));
    const events: TaskCancelledEvent[] = [];
    engine.events.on('task:cancelled', (e) => events.push(e));
    let completed = 0;
    engine.events.on('batch:completed', () => completed++);

    const first = await engine.batches.cancel('amy', batch.batchId);
    expect(first).toMatchObject({ cancelled: [0, 1, 2], creditsRefunded: 2, batch: { status: 'completed', cancelledTasks: 3 } });
    expect(events.map((e) => [e.index, e.was, e.refunded])).toEqual([
      [0, 'processing', 0],
      [1, 'pending', 1],
      [2, 'pending', 1],
    ]);
    expect(completed).toBe(1);
    expect(await engine.credits.balance('amy')).toBe(2);
    await until(async () => provider.cancelled.length === 1);
    expect(provider.cancelled).toEqual([first.batch.tasks[0]!.providerRequestId]);

    const again = await engine.batches.cancel('amy', batch.batchId);
    expect({ ...again, batch: undefined }).toEqual({ ...first, batch: undefined });
    expect(await engine.credits.balance('amy')).toBe(2);
    await engine.onIdle();
    expect((await engine.batches.status('amy', batch.batchId)).tasks.map((t) => t.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    await expect(engine.batches.cancel('bob', batch.batchId)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('a batch that completed without a cancel is a conflict naming why; so is a task that already ended', async () => {
    const engine = engineOn(createMemoryStorage(), slowProvider(0));
    await engine.start();
    await engine.credits.grant('cal', 2, { idempotencyKey: 'g' });
    const { batch } = await engine.batches.submit('cal', { prompt: 'a fox', count: 2 });
    await engine.batches.waitFor('cal', batch.batchId);
    const error = await engine.batches.cancel('cal', batch.batchId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ reason: 'batch_completed', status: 409 });
    await expect(engine.batches.cancel('cal', batch.batchId, { taskIndex: 1 })).rejects.toMatchObject({ reason: 'task_completed' });
    await expect(engine.batches.cancel('cal', batch.batchId, { taskIndex: 5 })).rejects.toBeInstanceOf(NotFoundError);
    expect(await engine.credits.balance('cal')).toBe(0);
  });

  it('one waiting task: only it is cancelled and refunded; the batch goes on', async () => {
    const engine = engineOn(createMemoryStorage(), slowProvider(3));
    await engine.start();
    await engine.credits.grant('dee', 3, { idempotencyKey: 'g' });
    const { batch } = await engine.batches.submit('dee', { prompt: 'a fox', count: 3 });
    const out = await engine.batches.cancel('dee', batch.batchId, { taskIndex: 2 });
    expect(out).toMatchObject({ cancelled: [2], creditsRefunded: 1 });
    const done = await engine.batches.waitFor('dee', batch.batchId);
    expect(done).toMatchObject({ status: 'completed', completedTasks: 2, cancelledTasks: 1 });
    expect(await engine.credits.balance('dee')).toBe(1);
  });

  it('refundCancelledRunning gives back a running task too', async () => {
    const engine = engineOn(createMemoryStorage(), slowProvider(), { refundCancelledRunning: true });
    await engine.start();
    await engine.credits.grant('eve', 1, { idempotencyKey: 'g' });
    const { batch } = await engine.batches.submit('eve', { prompt: 'a fox', count: 1 });
    await until(running(engine, 'eve', batch.batchId));
    expect(await engine.batches.cancel('eve', batch.batchId)).toMatchObject({ cancelled: [0], creditsRefunded: 1 });
    expect(await engine.credits.balance('eve')).toBe(1);
  });

  it('a cancel from another engine stops the run within one lease renewal (the status is in storage)', async () => {
    const storage = createMemoryStorage();
    const provider = slowProvider();
    const worker = engineOn(storage, provider, { leaseMs: 90 });
    const api = engineOn(storage, slowProvider(), { leaseMs: 90 });
    await worker.start();
    await worker.credits.grant('fay', 1, { idempotencyKey: 'g' });
    const { batch } = await worker.batches.submit('fay', { prompt: 'a fox', count: 1 });
    await until(running(worker, 'fay', batch.batchId));
    const requestId = (await storage.getTask(batch.batchId, 0))!.providerRequestId;
    const at = Date.now();
    await api.batches.cancel('fay', batch.batchId);
    await until(async () => provider.cancelled.length === 1, 1000);
    expect(Date.now() - at).toBeLessThan(90);
    expect(provider.cancelled).toEqual([requestId]);
    await worker.onIdle();
    expect(await storage.getTask(batch.batchId, 0)).toMatchObject({ status: 'cancelled' });
  });
});

describe('refundFailedBatchTasks', () => {
  it('refunds each failed attempt once, also after a retry; off by default', async () => {
    const failing = () => createOfflineProvider({ size: 32, failWhen: () => ({ reason: 'moderated_output' as const, message: 'no' }) });
    const on = engineOn(createMemoryStorage(), failing() as ReturnType<typeof slowProvider>, { refundFailedBatchTasks: true });
    await on.start();
    await on.credits.grant('gus', 2, { idempotencyKey: 'g' });
    const { batch } = await on.batches.submit('gus', { prompt: 'a fox', count: 1 });
    await on.batches.waitFor('gus', batch.batchId);
    expect(await on.credits.balance('gus')).toBe(2);
    await on.batches.retry('gus', batch.batchId, 0);
    await on.onIdle();
    await on.batches.waitFor('gus', batch.batchId);
    expect(await on.credits.balance('gus')).toBe(2);
    const refunds = (await on.credits.history('gus')).items.filter((e) => e.kind === 'refund').map((e) => e.idempotencyKey);
    expect(refunds.sort()).toEqual([`refund:failed:${batch.batchId}:0:1`, `refund:failed:${batch.batchId}:0:2`]);

    const off = engineOn(createMemoryStorage(), failing() as ReturnType<typeof slowProvider>);
    await off.start();
    await off.credits.grant('hal', 1, { idempotencyKey: 'g' });
    const other = await off.batches.submit('hal', { prompt: 'a fox', count: 1 });
    await off.batches.waitFor('hal', other.batch.batchId);
    expect(await off.credits.balance('hal')).toBe(0);
  });
});
