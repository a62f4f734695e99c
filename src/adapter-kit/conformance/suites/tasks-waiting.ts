import { isImageGenError } from '../../../core/errors/index.js';
import { PROGRESS } from '../../../core/policy/progress.js';
import { charge, claimPending, grant, journalSum, makeBatch, tick, type ConformanceContext } from '../fixtures.js';
import type { ConformanceTestApi } from '../test-api.js';

const prompts = (n: number) => Array.from({ length: n }, (_, i) => `p${i}`);

/** `createBatch` with `limits.maxTasksWaiting`: the ceiling on a user's pending and processing tasks, checked in the step that charges. */
export function tasksWaitingSuite(t: ConformanceTestApi, ctx: () => ConformanceContext): void {
  const { describe, it, expect } = t;
  describe('tasks waiting per user', () => {
    it('refuses a batch that would go over the ceiling with a 429, charging and storing nothing; ended tasks make room', async () => {
      const { storage, user } = ctx();
      const u = user();
      const other = user();
      const limits = { maxTasksWaiting: 5 };
      await storage.applyLedgerEntry(grant(u, 20, 'g'), tick());
      await storage.applyLedgerEntry(grant(other, 20, 'g'), tick());
      const ts = tick();
      const first = await storage.createBatch(makeBatch(u, ts, prompts(3)), charge(u, 3, 'b1'), ts, limits);
      // Another user's tasks do not count.
      const theirs = tick();
      await storage.createBatch(makeBatch(other, theirs, prompts(5)), charge(other, 5, 'o1'), theirs, limits);
      const at = tick();
      await storage.createBatch(makeBatch(u, at, prompts(2)), charge(u, 2, 'b2'), at, limits);
      expect(await storage.getBalance(u)).toBe(15);

      const over = tick();
      const error = await storage.createBatch(makeBatch(u, over, prompts(1)), charge(u, 1, 'b3'), over, limits).catch((e: unknown) => e);
      expect(isImageGenError(error) && error.status === 429 && error.code === 'rate_limited').toBe(true);
      expect(/5 queued or running/.test((error as Error).message)).toBe(true);
      expect(await storage.getBalance(u)).toBe(15);
      expect(await journalSum(storage, u)).toEqual({ sum: 15, count: 3 });
      expect(await storage.getBatch(makeBatch(u, over).batchId)).toBeNull();
      expect(await storage.getLedgerEntry(u, 'b3')).toBeNull();

      // A replay of a batch already paid for is no new task: it answers as before.
      const replay = await storage.createBatch(makeBatch(u, tick(), prompts(3)), charge(u, 3, 'b1'), tick(), limits);
      expect(replay).toMatchObject({ replayed: true, batch: { batchId: first.batch.batchId } });

      // A running task still counts; a completed, failed or cancelled one does not.
      const running = await claimPending(storage, first.batch.batchId, 0);
      const refused = tick();
      await expect(storage.createBatch(makeBatch(u, refused, prompts(1)), charge(u, 1, 'b4'), refused, limits)).rejects.toThrow(/waiting/);
      await storage.completeTask(
        first.batch.batchId,
        0,
        running.attempts,
        { result: { imageUrl: '/x.png', requestId: 'r' }, progress: PROGRESS.done },
        tick(),
      );
      const failing = await claimPending(storage, first.batch.batchId, 1);
      await storage.failTask(first.batch.batchId, 1, failing.attempts, 'boom', tick());
      await storage.cancelTasks(first.batch.batchId, { taskIndex: 2, refundPending: null, refundProcessing: null, now: tick() });
      const fits = tick();
      await storage.createBatch(makeBatch(u, fits, prompts(3)), charge(u, 3, 'b5'), fits, limits);
      // The retried task is waiting again; without a ceiling a batch is never refused.
      await storage.retryTask(first.batch.batchId, 1, { charge: charge(u, 1, 'retry-1'), progress: PROGRESS.queued }, tick());
      const full = tick();
      await expect(storage.createBatch(makeBatch(u, full, prompts(1)), charge(u, 1, 'b6'), full, limits)).rejects.toThrow(/6 queued/);
      const free = tick();
      await storage.createBatch(makeBatch(u, free, prompts(1)), charge(u, 1, 'b7'), free);
      expect(await storage.getBalance(u)).toBe(10);
    });

    it('concurrent batches of one user against the ceiling: exactly as many as fit are created and charged', async () => {
      const { storage, user } = ctx();
      const u = user();
      await storage.applyLedgerEntry(grant(u, 50, 'g'), tick());
      const outcomes = await Promise.all(
        Array.from({ length: 12 }, (_, i) => {
          const ts = tick();
          return storage.createBatch(makeBatch(u, ts, prompts(1)), charge(u, 1, `c${i}`), ts, { maxTasksWaiting: 7 }).then(
            () => 'created',
            (e: unknown) => (isImageGenError(e) && e.status === 429 ? 'refused' : String(e)),
          );
        }),
      );
      expect(outcomes.filter((o) => o === 'created')).toHaveLength(7);
      expect(outcomes.filter((o) => o === 'refused')).toHaveLength(5);
      expect(await storage.getBalance(u)).toBe(43);
      expect((await storage.listBatches(u, { limit: 100 })).items).toHaveLength(7);
    });
  });
}
