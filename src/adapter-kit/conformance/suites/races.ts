import { isImageGenError } from '../../../core/errors/index.js';
import { charge, claimPending, grant, journalSum, makeBatch, seededBatch, tick, type ConformanceContext } from '../fixtures.js';
import type { ConformanceTestApi } from '../test-api.js';
import { PROGRESS } from '../../../core/policy/progress.js';

/** Settles every promise and counts successes and error codes. */
async function tally(promises: Promise<unknown>[]): Promise<{ ok: number; codes: Record<string, number> }> {
  const settled = await Promise.allSettled(promises);
  const codes: Record<string, number> = {};
  let ok = 0;
  for (const s of settled) {
    if (s.status === 'fulfilled') ok++;
    else {
      const code = isImageGenError(s.reason) ? s.reason.code : `unexpected: ${String(s.reason)}`;
      codes[code] = (codes[code] ?? 0) + 1;
    }
  }
  return { ok, codes };
}

export function racesSuite(t: ConformanceTestApi, ctx: () => ConformanceContext): void {
  const { describe, it, expect } = t;
  describe('races', () => {
    it('200 concurrent 1-credit debits against 100 credits: exactly 100 succeed, balance 0, journal sums', async () => {
      const { storage, user } = ctx();
      const u = user();
      await storage.applyLedgerEntry(grant(u, 100, 'g'), tick());
      const result = await tally(Array.from({ length: 200 }, (_, i) => storage.applyLedgerEntry(charge(u, 1, `c${i}`), tick())));
      expect(result).toEqual({ ok: 100, codes: { insufficient_credits: 100 } });
      expect(await storage.getBalance(u)).toBe(0);
      expect(await journalSum(storage, u)).toEqual({ sum: 0, count: 101 });
    });

    it('the same debit key sent 50 times at once charges once', async () => {
      const { storage, user } = ctx();
      const u = user();
      await storage.applyLedgerEntry(grant(u, 10, 'g'), tick());
      const results = await Promise.all(Array.from({ length: 50 }, () => storage.applyLedgerEntry(charge(u, 3, 'once'), tick())));
      expect(results.filter((r) => !r.replayed)).toHaveLength(1);
      expect(new Set(results.map((r) => r.entry.seq)).size).toBe(1);
      expect(await storage.getBalance(u)).toBe(7);
    });

    it('concurrent batch submits never overdraw: 30 batches of 3 against 20 credits create 6', async () => {
      const { storage, user } = ctx();
      const u = user();
      await storage.applyLedgerEntry(grant(u, 20, 'g'), tick());
      const result = await tally(
        Array.from({ length: 30 }, (_, i) => {
          const ts = tick();
          return storage.createBatch(makeBatch(u, ts), charge(u, 3, `b${i}`), ts);
        }),
      );
      expect(result).toEqual({ ok: 6, codes: { insufficient_credits: 24 } });
      expect(await storage.getBalance(u)).toBe(2);
      expect((await storage.listBatches(u, { limit: 100 })).items).toHaveLength(6);
      expect((await journalSum(storage, u)).sum).toBe(2);
    });

    it('of 20 concurrent claims of one task exactly one wins', async () => {
      const { storage, user } = ctx();
      const batch = await seededBatch(storage, user());
      const now = tick();
      const claims = await Promise.all(
        Array.from({ length: 20 }, () =>
          storage.claimTask(batch.batchId, 0, { expect: { status: 'pending' }, now, leaseExpiresAt: now + 1, progress: PROGRESS.received }),
        ),
      );
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect((await storage.getTask(batch.batchId, 0))!.attempts).toBe(1);
    });

    it('two workers ending the same task at once: one result, counters bumped once', async () => {
      const { storage, user } = ctx();
      const batch = await seededBatch(storage, user(), ['a', 'b']);
      const task = await claimPending(storage, batch.batchId, 0);
      const ends = await Promise.all([
        storage.completeTask(
          batch.batchId,
          0,
          task.attempts,
          { result: { imageUrl: 'one', requestId: '1' }, progress: PROGRESS.done },
          tick(),
        ),
        storage.completeTask(
          batch.batchId,
          0,
          task.attempts,
          { result: { imageUrl: 'two', requestId: '2' }, progress: PROGRESS.done },
          tick(),
        ),
        storage.failTask(batch.batchId, 0, task.attempts, 'three', tick()),
      ]);
      expect(ends.filter(Boolean)).toHaveLength(1);
      const stored = await storage.getBatch(batch.batchId);
      expect(stored!.completedTasks + stored!.failedTasks).toBe(1);
    });

    it('concurrent retries of one failed task with different keys charge once', async () => {
      const { storage, user } = ctx();
      const u = user();
      const batch = await seededBatch(storage, u, ['a']);
      const t = await claimPending(storage, batch.batchId, 0);
      await storage.failTask(batch.batchId, 0, t.attempts, 'x', tick());
      await storage.applyLedgerEntry(grant(u, 10, 'g'), tick());
      const result = await tally(
        Array.from({ length: 10 }, (_, i) =>
          storage.retryTask(batch.batchId, 0, { charge: charge(u, 1, `r${i}`), progress: PROGRESS.queued }, tick()),
        ),
      );
      expect(result).toEqual({ ok: 1, codes: { conflict: 9 } });
      expect(await storage.getBalance(u)).toBe(9);
    });
  });
}
