import { ConflictError, InsufficientCreditsError } from '../../../core/errors/index.js';
import { charge, claimPending, grant, seededBatch, tick, type ConformanceContext } from '../fixtures.js';
import type { ConformanceTestApi } from '../test-api.js';
import { PROGRESS } from '../../../core/policy/progress.js';

export function tasksSuite(t: ConformanceTestApi, ctx: () => ConformanceContext): void {
  const { describe, it, expect } = t;
  describe('task transitions', () => {
    it('claims a pending task once: processing, attempts 1, progress 10, batch processing', async () => {
      const { storage, user } = ctx();
      const batch = await seededBatch(storage, user());
      const now = tick();
      const claimed = await storage.claimTask(batch.batchId, 0, {
        expect: { status: 'pending' },
        now,
        leaseExpiresAt: now + 1000,
        progress: PROGRESS.received,
      });
      expect(claimed).toMatchObject({ status: 'processing', attempts: 1, progress: 10, startedAt: now, leaseExpiresAt: now + 1000 });
      expect(
        await storage.claimTask(batch.batchId, 0, { expect: { status: 'pending' }, now, leaseExpiresAt: now, progress: PROGRESS.received }),
      ).toBeNull();
      expect((await storage.getBatch(batch.batchId))!.status).toBe('processing');
    });

    it('takes over a processing task only with the matching claim number', async () => {
      const { storage, user } = ctx();
      const batch = await seededBatch(storage, user());
      await claimPending(storage, batch.batchId, 0);
      const now = tick();
      expect(
        await storage.claimTask(batch.batchId, 0, {
          expect: { status: 'processing', attempts: 2 },
          now,
          leaseExpiresAt: now,
          progress: PROGRESS.received,
        }),
      ).toBeNull();
      const taken = await storage.claimTask(batch.batchId, 0, {
        expect: { status: 'processing', attempts: 1 },
        now,
        leaseExpiresAt: now + 5,
        progress: PROGRESS.received,
      });
      expect(taken).toMatchObject({ status: 'processing', attempts: 2 });
    });

    it('raises progress only, saves the request id, and ignores a stale attempt', async () => {
      const { storage, user } = ctx();
      const batch = await seededBatch(storage, user());
      const task = await claimPending(storage, batch.batchId, 1);
      expect(
        await storage.updateTaskProgress(batch.batchId, 1, task.attempts, { progress: 30, providerRequestId: 'req-1', now: tick() }),
      ).toBe(true);
      expect(await storage.updateTaskProgress(batch.batchId, 1, task.attempts, { progress: 20, now: tick() })).toBe(true);
      expect(await storage.updateTaskProgress(batch.batchId, 1, task.attempts + 1, { progress: 80, now: tick() })).toBe(false);
      expect(await storage.getTask(batch.batchId, 1)).toMatchObject({ progress: 30, providerRequestId: 'req-1' });
      expect(await storage.updateTaskProgress(batch.batchId, 2, 0, { progress: 50, now: tick() })).toBe(false);
    });

    it('completes a task once: result stored, counters bumped once, a duplicate completion ignored', async () => {
      const { storage, user } = ctx();
      const batch = await seededBatch(storage, user());
      const task = await claimPending(storage, batch.batchId, 0);
      const result = { imageUrl: '/img/1.png', requestId: 'r1' };
      const end = await storage.completeTask(batch.batchId, 0, task.attempts, { result: result, progress: PROGRESS.done }, tick());
      expect(end).toMatchObject({
        task: { status: 'completed', progress: 100, result },
        batch: { completedTasks: 1 },
        batchCompleted: false,
      });
      expect(
        await storage.completeTask(
          batch.batchId,
          0,
          task.attempts,
          { result: { imageUrl: 'x', requestId: 'y' }, progress: PROGRESS.done },
          tick(),
        ),
      ).toBeNull();
      expect(await storage.failTask(batch.batchId, 0, task.attempts, 'late', tick())).toBeNull();
      const stored = await storage.getBatch(batch.batchId);
      expect(stored).toMatchObject({ completedTasks: 1, failedTasks: 0, status: 'processing' });
      expect(stored!.tasks[0]!.result).toEqual(result);
    });

    it('ignores the result of a worker whose claim was taken over', async () => {
      const { storage, user } = ctx();
      const batch = await seededBatch(storage, user());
      const first = await claimPending(storage, batch.batchId, 0);
      const now = tick();
      const second = await storage.claimTask(batch.batchId, 0, {
        expect: { status: 'processing', attempts: first.attempts },
        now,
        leaseExpiresAt: now,
        progress: PROGRESS.received,
      });
      expect(
        await storage.completeTask(
          batch.batchId,
          0,
          first.attempts,
          { result: { imageUrl: 'old', requestId: 'old' }, progress: PROGRESS.done },
          tick(),
        ),
      ).toBeNull();
      expect(
        await storage.completeTask(
          batch.batchId,
          0,
          second!.attempts,
          { result: { imageUrl: 'new', requestId: 'new' }, progress: PROGRESS.done },
          tick(),
        ),
      ).not.toBeNull();
      expect((await storage.getTask(batch.batchId, 0))!.result!.imageUrl).toBe('new');
    });

    it('fails a task keeping its progress and error; the batch completes when every task has ended', async () => {
      const { storage, user } = ctx();
      const batch = await seededBatch(storage, user(), ['a', 'b']);
      const a = await claimPending(storage, batch.batchId, 0);
      const b = await claimPending(storage, batch.batchId, 1);
      await storage.updateTaskProgress(batch.batchId, 1, b.attempts, { progress: 54, now: tick() });
      const failed = await storage.failTask(batch.batchId, 1, b.attempts, 'moderated', tick());
      expect(failed).toMatchObject({ task: { status: 'failed', progress: 54, error: 'moderated', result: null }, batchCompleted: false });
      const done = await storage.completeTask(
        batch.batchId,
        0,
        a.attempts,
        { result: { imageUrl: 'u', requestId: 'r' }, progress: PROGRESS.done },
        tick(),
      );
      expect(done).toMatchObject({ batchCompleted: true, batch: { status: 'completed', completedTasks: 1, failedTasks: 1 } });
      expect((await storage.listOpenTasks(10_000)).some((t) => t.batchId === batch.batchId)).toBe(false);
    });

    it('retries a failed task: charges, resets it to pending, reopens the batch; the same key replays', async () => {
      const { storage, user } = ctx();
      const u = user();
      const batch = await seededBatch(storage, u, ['only']);
      const t = await claimPending(storage, batch.batchId, 0);
      await storage.updateTaskProgress(batch.batchId, 0, t.attempts, { progress: 40, providerRequestId: 'r', now: tick() });
      await storage.failTask(batch.batchId, 0, t.attempts, 'boom', tick());
      await storage.applyLedgerEntry(grant(u, 2, 'more'), tick());
      const retried = await storage.retryTask(batch.batchId, 0, { charge: charge(u, 1, 'retry-1'), progress: PROGRESS.queued }, tick());
      expect(retried).toMatchObject({
        balance: 1,
        replayed: false,
        task: { status: 'pending', progress: 0, error: null, result: null, providerRequestId: null, attempts: 1 },
      });
      expect(await storage.getBatch(batch.batchId)).toMatchObject({ status: 'processing', failedTasks: 0 });
      const replay = await storage.retryTask(batch.batchId, 0, { charge: charge(u, 1, 'retry-1'), progress: PROGRESS.queued }, tick());
      expect(replay.replayed).toBe(true);
      expect(replay.entry).toEqual(retried.entry);
      expect(replay.task).toEqual(await storage.getTask(batch.batchId, 0));
      expect(await storage.getBalance(u)).toBe(1);
      expect((await storage.listOpenTasks(10_000)).filter((o) => o.batchId === batch.batchId)).toHaveLength(1);
    });

    it('refuses to retry a task that is not failed, or without credits, charging nothing', async () => {
      const { storage, user } = ctx();
      const u = user();
      const batch = await seededBatch(storage, u, ['x', 'y']);
      const notFailed = await storage
        .retryTask(batch.batchId, 0, { charge: charge(u, 1, 'r0'), progress: PROGRESS.queued }, tick())
        .catch((e: unknown) => e);
      expect(notFailed).toBeInstanceOf(ConflictError);
      expect(notFailed).toMatchObject({ reason: 'task_not_failed' });
      const t = await claimPending(storage, batch.batchId, 1);
      await storage.failTask(batch.batchId, 1, t.attempts, 'x', tick());
      const poor = await storage
        .retryTask(batch.batchId, 1, { charge: charge(u, 1, 'r1'), progress: PROGRESS.queued }, tick())
        .catch((e: unknown) => e);
      expect(poor).toBeInstanceOf(InsufficientCreditsError);
      expect(await storage.getTask(batch.batchId, 1)).toMatchObject({ status: 'failed' });
      expect(await storage.getBalance(u)).toBe(0);
    });
  });
}
