import { PROGRESS } from '../../../core/policy/progress.js';
import { charge, claimPending, grant, seededBatch, tick, type ConformanceContext } from '../fixtures.js';
import type { ConformanceTestApi } from '../test-api.js';

/** Progress is core's: the adapter stores the values it is given, and only keeps a running task's from going down. */
export function progressSuite(t: ConformanceTestApi, ctx: () => ConformanceContext): void {
  const { describe, it, expect } = t;
  describe('progress', () => {
    it('a claim raises progress to the value given, and a take-over never lowers it', async () => {
      const { storage, user } = ctx();
      const batch = await seededBatch(storage, user());
      const now = tick();
      const claimed = await storage.claimTask(batch.batchId, 0, {
        expect: { status: 'pending' },
        now,
        leaseExpiresAt: now + 1000,
        progress: 7,
      });
      expect(claimed).toMatchObject({ progress: 7 });
      await storage.updateTaskProgress(batch.batchId, 0, claimed!.attempts, { progress: 40, now: tick() });
      const later = tick();
      const taken = await storage.claimTask(batch.batchId, 0, {
        expect: { status: 'processing', attempts: claimed!.attempts },
        now: later,
        leaseExpiresAt: later + 1000,
        progress: 12,
      });
      expect(taken).toMatchObject({ progress: 40, attempts: claimed!.attempts + 1 });
      expect(await storage.getTask(batch.batchId, 0)).toMatchObject({ progress: 40 });
    });

    it('an update stores exactly the value given when higher, and never lowers it', async () => {
      const { storage, user } = ctx();
      const batch = await seededBatch(storage, user());
      const task = await claimPending(storage, batch.batchId, 0);
      const stored = async () => (await storage.getTask(batch.batchId, 0))!.progress;
      await storage.updateTaskProgress(batch.batchId, 0, task.attempts, { progress: 37, now: tick() });
      expect(await stored()).toBe(37);
      expect(await storage.updateTaskProgress(batch.batchId, 0, task.attempts, { progress: 12, now: tick() })).toBe(true);
      expect(await stored()).toBe(37);
      await storage.updateTaskProgress(batch.batchId, 0, task.attempts, { progress: 99, now: tick() });
      expect(await stored()).toBe(99);
    });

    it('completing sets the progress given, whatever the task showed before', async () => {
      const { storage, user } = ctx();
      const batch = await seededBatch(storage, user(), ['a', 'b']);
      const a = await claimPending(storage, batch.batchId, 0);
      const b = await claimPending(storage, batch.batchId, 1);
      await storage.updateTaskProgress(batch.batchId, 1, b.attempts, { progress: 50, now: tick() });
      const result = { imageUrl: '/img/p.png', requestId: 'p' };
      const done = await storage.completeTask(batch.batchId, 0, a.attempts, { result, progress: PROGRESS.done }, tick());
      expect(done!.task.progress).toBe(PROGRESS.done);
      const other = await storage.completeTask(batch.batchId, 1, b.attempts, { result, progress: 88 }, tick());
      expect(other!.task.progress).toBe(88);
      expect((await storage.getBatch(batch.batchId))!.tasks.map((task) => task.progress)).toEqual([PROGRESS.done, 88]);
    });

    it('a retry resets progress to the value given', async () => {
      const { storage, user } = ctx();
      const u = user();
      const batch = await seededBatch(storage, u, ['only']);
      const task = await claimPending(storage, batch.batchId, 0);
      await storage.updateTaskProgress(batch.batchId, 0, task.attempts, { progress: 60, now: tick() });
      await storage.failTask(batch.batchId, 0, task.attempts, 'boom', tick());
      await storage.applyLedgerEntry(grant(u, 1, 'more'), tick());
      const retried = await storage.retryTask(batch.batchId, 0, { charge: charge(u, 1, 'again'), progress: 3 }, tick());
      expect(retried.task).toMatchObject({ status: 'pending', progress: 3 });
      expect(await storage.getTask(batch.batchId, 0)).toMatchObject({ status: 'pending', progress: 3 });
    });
  });
}
