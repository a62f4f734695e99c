// D1-specific cases beyond the shared conformance suite, run inside workerd by the same worker:
// the paths where a step plans from a read and writes behind guards, under contention.
import type { ConformanceTestApi } from '../../dist/adapter-kit/index.js';
import { charge, claimPending, grant, journalSum, makeBatch, tick } from '../../dist/adapter-kit/index.js';
import { createD1Storage, type D1Database, migrateD1, SCHEMA_VERSION } from '../../dist/adapters/storage/d1/index.js';
import type { StorageAdapter } from '../../dist/index.js';

const result = { imageUrl: '/img/x.png', requestId: 'r' };
const REFUND = { amount: 1, keyPrefix: 'refund:cancel:', reason: 'cancelled' };
const FAIL_REFUND = { amount: 1, keyPrefix: 'refund:failed:', reason: 'failed' };
const settledCount = (outcomes: PromiseSettledResult<unknown>[], status: 'fulfilled' | 'rejected') =>
  outcomes.filter((o) => o.status === status).length;

export function d1ExtraSuite(t: ConformanceTestApi, env: { DB: D1Database; FRESH: D1Database }): void {
  const { describe, it, expect } = t;
  const run = Math.random().toString(36).slice(2, 8);
  let n = 0;
  const user = (label: string) => `${label}${run}x${++n}`;
  let storage: StorageAdapter;
  t.beforeAll(async () => {
    storage = createD1Storage({ database: env.DB });
  });

  describe('D1 under contention', () => {
    it('40 concurrent charges against a 25-credit grant with an expiry (the planned, guarded path): 25 succeed, the journal sums to 0', async () => {
      const u = user('planned');
      const t0 = tick();
      await storage.applyLedgerEntry({ ...grant(u, 25, 'g'), grant: { kind: 'promo', expiresAt: t0 + 10_000_000 } }, t0);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) => storage.applyLedgerEntry(charge(u, 1, `c${i}`), t0 + 1)),
      );
      expect(settledCount(outcomes, 'fulfilled')).toBe(25);
      for (const o of outcomes) if (o.status === 'rejected') expect((o.reason as { code?: string }).code).toBe('insufficient_credits');
      expect(await storage.getBalance(u, t0 + 2)).toBe(0);
      expect(await journalSum(storage, u)).toEqual({ sum: 0, count: 26 });
    });

    it('a failure with its refund racing a cancel with its refund, on 10 running tasks: each task ends once and is refunded once', async () => {
      const u = user('race');
      const ts = tick();
      const batch = makeBatch(
        u,
        ts,
        Array.from({ length: 10 }, (_, i) => `p${i}`),
      );
      await storage.applyLedgerEntry(grant(u, 10, 'g'), ts);
      await storage.createBatch(batch, charge(u, 10, 'c'), ts);
      const claims = await Promise.all(batch.tasks.map((_, i) => claimPending(storage, batch.batchId, i)));
      await Promise.all([
        ...claims.map((c, i) => storage.failTask(batch.batchId, i, c.attempts, 'boom', tick(), FAIL_REFUND)),
        storage.cancelTasks(batch.batchId, { refundPending: REFUND, refundProcessing: REFUND, now: tick() }),
      ]);
      const after = (await storage.getBatch(batch.batchId))!;
      expect(after.failedTasks + after.cancelledTasks).toBe(10);
      expect(after.status).toBe('completed');
      expect(after.tasks.every((task) => task.status === 'failed' || task.status === 'cancelled')).toBe(true);
      expect(await storage.getBalance(u)).toBe(10);
      expect(await journalSum(storage, u)).toEqual({ sum: 10, count: 12 });
    });

    it('completes racing a cancel: every task ends exactly once and the counters add up', async () => {
      const u = user('end');
      const ts = tick();
      const batch = makeBatch(
        u,
        ts,
        Array.from({ length: 8 }, (_, i) => `p${i}`),
      );
      await storage.applyLedgerEntry(grant(u, 8, 'g'), ts);
      await storage.createBatch(batch, charge(u, 8, 'c'), ts);
      const claims = await Promise.all(batch.tasks.map((_, i) => claimPending(storage, batch.batchId, i)));
      const [cancelled, ...ends] = await Promise.all([
        storage.cancelTasks(batch.batchId, { refundPending: null, refundProcessing: REFUND, now: tick() }),
        ...claims.map((c, i) => storage.completeTask(batch.batchId, i, c.attempts, { result, progress: 100 }, tick())),
      ]);
      const completedNow = ends.filter((e) => e !== null).length;
      expect(completedNow + cancelled!.cancelled.length).toBe(8);
      const after = (await storage.getBatch(batch.batchId))!;
      expect([after.completedTasks, after.cancelledTasks, after.status]).toEqual([completedNow, cancelled!.cancelled.length, 'completed']);
      expect(await storage.getBalance(u)).toBe(cancelled!.cancelled.length);
    });

    it('ten isolates migrating an empty database at once apply each migration once', async () => {
      const versions = await Promise.all(Array.from({ length: 10 }, () => migrateD1(env.FRESH)));
      expect(versions).toEqual(Array(10).fill(SCHEMA_VERSION));
      const tables = await env.FRESH.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'grants'").all();
      expect(tables.results).toHaveLength(1);
    });

    it('no step leaves a guard row behind', async () => {
      const rows = await env.DB.prepare('SELECT COUNT(*) AS n FROM imagegen_guard').all<{ n: number }>();
      expect(rows.results[0]!.n).toBe(0);
    });
  });
}
