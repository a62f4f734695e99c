import type { StorageAdapter, TaskCancellation, TaskRefund } from '../../../core/ports/storage-adapter.js';
import { PROGRESS } from '../../../core/policy/progress.js';
import { claimPending, journalSum, seededBatch, tick, type ConformanceContext } from '../fixtures.js';
import type { ConformanceTestApi } from '../test-api.js';

const REFUND: TaskRefund = { amount: 1, keyPrefix: 'refund:cancel:', reason: 'cancelled' };
const FAIL_REFUND: TaskRefund = { amount: 1, keyPrefix: 'refund:failed:', reason: 'failed' };
const result = { imageUrl: '/img/x.png', requestId: 'r' };

const cancelling = (extra: Partial<TaskCancellation> = {}): TaskCancellation => ({
  refundPending: REFUND,
  refundProcessing: null,
  now: tick(),
  ...extra,
});

async function complete(storage: StorageAdapter, batchId: string, index: number, attempts: number) {
  return storage.completeTask(batchId, index, attempts, { result, progress: PROGRESS.done }, tick());
}

export function cancelSuite(t: ConformanceTestApi, ctx: () => ConformanceContext): void {
  const { describe, it, expect } = t;
  describe('cancel', () => {
    it('cancels a pending task with its refund in the same step, and a second cancel changes nothing', async () => {
      const { storage, user } = ctx();
      const u = user();
      const batch = await seededBatch(storage, u);
      const first = await storage.cancelTasks(batch.batchId, cancelling({ taskIndex: 1 }));
      expect(first!.cancelled).toHaveLength(1);
      expect(first!.cancelled[0]).toMatchObject({
        index: 1,
        was: 'pending',
        task: { status: 'cancelled', taskId: `${batch.batchId}:1` },
        refund: { kind: 'refund', amount: 1, idempotencyKey: `refund:cancel:${batch.batchId}:1:0`, reference: `${batch.batchId}:1` },
      });
      expect(first).toMatchObject({ balance: 1, batchCompleted: false, batch: { cancelledTasks: 1, status: 'pending' } });
      const again = await storage.cancelTasks(batch.batchId, cancelling({ taskIndex: 1 }));
      expect(again!.cancelled).toHaveLength(0);
      expect(again!.balance).toBe(1);
      expect(await journalSum(storage, u)).toEqual({ sum: 1, count: 3 });
      expect(await storage.getBatch(batch.batchId)).toMatchObject({ cancelledTasks: 1, status: 'pending' });
      expect((await storage.listBatches(u, {})).items[0]).toMatchObject({ cancelledTasks: 1 });
    });

    it('cancels every open task: pending refunded, processing not (unless asked), ended ones kept; the batch completes', async () => {
      const { storage, user } = ctx();
      const u = user();
      const batch = await seededBatch(storage, u, ['a', 'b', 'c', 'd']);
      const done = await claimPending(storage, batch.batchId, 0);
      await complete(storage, batch.batchId, 0, done.attempts);
      const running = await claimPending(storage, batch.batchId, 1);
      const paid = await claimPending(storage, batch.batchId, 2);
      await storage.cancelTasks(batch.batchId, cancelling({ taskIndex: 2, refundProcessing: { ...REFUND, keyPrefix: 'refund:run:' } }));
      const out = await storage.cancelTasks(batch.batchId, cancelling());
      expect(out!.cancelled.map((c) => [c.index, c.was, c.refund?.amount ?? 0])).toEqual([
        [1, 'processing', 0],
        [3, 'pending', 1],
      ]);
      expect(out).toMatchObject({ batchCompleted: true, batch: { status: 'completed', completedTasks: 1, cancelledTasks: 3 } });
      expect(out!.batch.tasks.map((task) => task.status)).toEqual(['completed', 'cancelled', 'cancelled', 'cancelled']);
      expect(await storage.getLedgerEntry(u, `refund:run:${batch.batchId}:2:${paid.attempts}`)).toMatchObject({ amount: 1 });
      expect(await storage.getBalance(u)).toBe(2);
      expect((await storage.listOpenTasks(100_000)).filter((o) => o.batchId === batch.batchId)).toHaveLength(0);
      // The worker that ran task 1 writes nothing more: every transition is compare-and-set.
      expect(await storage.updateTaskProgress(batch.batchId, 1, running.attempts, { progress: 50, now: tick() })).toBe(false);
      expect(await complete(storage, batch.batchId, 1, running.attempts)).toBeNull();
      expect(await storage.failTask(batch.batchId, 1, running.attempts, 'late', tick())).toBeNull();
      expect(
        await storage.claimTask(batch.batchId, 3, { expect: { status: 'pending' }, now: tick(), leaseExpiresAt: tick(), progress: 10 }),
      ).toBeNull();
      expect(await storage.getTask(batch.batchId, 1)).toMatchObject({ status: 'cancelled', result: null, leaseExpiresAt: null });
    });

    it('a batch closes when its last open task completes after the others were cancelled', async () => {
      const { storage, user } = ctx();
      const batch = await seededBatch(storage, user(), ['a', 'b']);
      const task = await claimPending(storage, batch.batchId, 0);
      const out = await storage.cancelTasks(batch.batchId, cancelling({ taskIndex: 1 }));
      expect(out!.batchCompleted).toBe(false);
      expect(await complete(storage, batch.batchId, 0, task.attempts)).toMatchObject({
        batchCompleted: true,
        batch: { status: 'completed', completedTasks: 1, cancelledTasks: 1 },
      });
    });

    it('an unknown batch is null; an index outside the batch cancels nothing', async () => {
      const { storage, user } = ctx();
      const u = user();
      expect(await storage.cancelTasks(`batch:${u}:1`, cancelling())).toBeNull();
      const batch = await seededBatch(storage, u);
      const out = await storage.cancelTasks(batch.batchId, cancelling({ taskIndex: 7 }));
      expect(out!.cancelled).toHaveLength(0);
      expect(out!.batch.tasks.every((task) => task.status === 'pending')).toBe(true);
      expect(await storage.getBalance(u)).toBe(0);
    });

    it('with a refund, each failed attempt is refunded once, also after a retry', async () => {
      const { storage, user } = ctx();
      const u = user();
      const batch = await seededBatch(storage, u, ['a']);
      await storage.applyLedgerEntry({ username: u, kind: 'grant', amount: 1, idempotencyKey: 'more' }, tick());
      const first = await claimPending(storage, batch.batchId, 0);
      const failed = await storage.failTask(batch.batchId, 0, first.attempts, 'boom', tick(), FAIL_REFUND);
      expect(failed!.refund).toMatchObject({ balance: 2, entry: { amount: 1, idempotencyKey: `refund:failed:${batch.batchId}:0:1` } });
      expect(await storage.failTask(batch.batchId, 0, first.attempts, 'boom', tick(), FAIL_REFUND)).toBeNull();
      await storage.retryTask(
        batch.batchId,
        0,
        { charge: { username: u, kind: 'charge', amount: -1, idempotencyKey: 'retry-1' }, progress: 0 },
        tick(),
      );
      const second = await claimPending(storage, batch.batchId, 0);
      const again = await storage.failTask(batch.batchId, 0, second.attempts, 'boom', tick(), FAIL_REFUND);
      expect(again!.refund).toMatchObject({ balance: 2, entry: { idempotencyKey: `refund:failed:${batch.batchId}:0:2` } });
      expect(await journalSum(storage, u)).toEqual({ sum: 2, count: 6 });
      // Without a refund a failure writes none.
      const plain = await seededBatch(storage, u, ['a']);
      const run = await claimPending(storage, plain.batchId, 0);
      expect((await storage.failTask(plain.batchId, 0, run.attempts, 'boom', tick()))!.refund ?? null).toBeNull();
    });

    it('cancel racing the completion of the same running task: exactly one wins, counters agree', async () => {
      const { storage, user } = ctx();
      const u = user();
      for (let round = 0; round < 10; round++) {
        const batch = await seededBatch(storage, u, ['a']);
        const task = await claimPending(storage, batch.batchId, 0);
        const [cancel, completion] = await Promise.all([
          storage.cancelTasks(batch.batchId, cancelling({ refundProcessing: REFUND })),
          complete(storage, batch.batchId, 0, task.attempts),
        ]);
        expect(cancel!.cancelled.length + (completion ? 1 : 0)).toBe(1);
        const stored = await storage.getBatch(batch.batchId);
        expect(stored).toMatchObject({ status: 'completed', completedTasks: completion ? 1 : 0, cancelledTasks: completion ? 0 : 1 });
        expect(stored!.tasks[0]!.status).toBe(completion ? 'completed' : 'cancelled');
        const refund = await storage.getLedgerEntry(u, `refund:cancel:${batch.batchId}:0:1`);
        if (completion) expect(refund).toBeNull();
        else expect(refund).toMatchObject({ amount: 1 });
      }
    });

    it('cancel racing a claim of the same pending task: it ends cancelled, refunded only if it was still pending', async () => {
      const { storage, user } = ctx();
      const u = user();
      for (let round = 0; round < 10; round++) {
        const batch = await seededBatch(storage, u, ['a']);
        const now = tick();
        const [cancel, claim] = await Promise.all([
          storage.cancelTasks(batch.batchId, cancelling()),
          storage.claimTask(batch.batchId, 0, { expect: { status: 'pending' }, now, leaseExpiresAt: now + 60_000, progress: 10 }),
        ]);
        expect(cancel!.cancelled).toHaveLength(1);
        expect(cancel!.cancelled[0]!.was).toBe(claim ? 'processing' : 'pending');
        expect(await storage.getTask(batch.batchId, 0)).toMatchObject({ status: 'cancelled' });
        const key = `refund:cancel:${batch.batchId}:0:${claim ? 1 : 0}`;
        const refund = await storage.getLedgerEntry(u, key);
        if (claim) expect(refund).toBeNull();
        else expect(refund).toMatchObject({ amount: 1 });
      }
    });

    it('concurrent cancels of one batch refund each task once', async () => {
      const { storage, user } = ctx();
      const u = user();
      const batch = await seededBatch(storage, u, ['a', 'b', 'c', 'd', 'e']);
      const outs = await Promise.all(Array.from({ length: 8 }, () => storage.cancelTasks(batch.batchId, cancelling())));
      expect(outs.reduce((n, out) => n + out!.cancelled.length, 0)).toBe(5);
      expect(outs.filter((out) => out!.batchCompleted)).toHaveLength(1);
      expect(await storage.getBalance(u)).toBe(5);
      expect(await storage.getBatch(batch.batchId)).toMatchObject({ status: 'completed', cancelledTasks: 5 });
    });
  });
}
