// D1-specific cases beyond the shared conformance suite, run inside workerd by the same worker:
// the paths where a step plans from a read and writes behind guards, under contention.
import type { ConformanceTestApi } from '../../dist/adapter-kit/index.js';
import { charge, claimPending, grant, journalSum, makeBatch, tick } from '../../dist/adapter-kit/index.js';
import { createD1Storage, type D1Database, migrateD1, SCHEMA_VERSION } from '../../dist/adapters/storage/d1/index.js';
import type { StorageAdapter } from '../../dist/index.js';
import { FAILED_ORDER, FAILED_SELECT } from '../../src/adapters/storage/sqlite/admin-queries.js';

const result = { imageUrl: '/img/x.png', requestId: 'r' };
const REFUND = { amount: 1, keyPrefix: 'refund:cancel:', reason: 'cancelled' };
const FAIL_REFUND = { amount: 1, keyPrefix: 'refund:failed:', reason: 'failed' };
const settledCount = (outcomes: PromiseSettledResult<unknown>[], status: 'fulfilled' | 'rejected') =>
  outcomes.filter((o) => o.status === status).length;

export function d1ExtraSuite(t: ConformanceTestApi, env: { DB: D1Database; FRESH: D1Database; OLD: D1Database }): void {
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

    it('migrates a schema-6 database with a batch in flight: its refunds still work (to the pool), failed tasks are listed through their index', async () => {
      const db = env.OLD;
      expect(await migrateD1(db, 6)).toBe(6);
      await db.batch([
        db.prepare("INSERT INTO accounts (username, balance, last_seq) VALUES ('dora', 1, 2)"),
        db.prepare(`INSERT INTO ledger (username, seq, kind, amount, balance_after, idempotency_key, reference, created_at)
          VALUES ('dora', 1, 'grant', 3, 3, 'g', NULL, 1), ('dora', 2, 'charge', -2, 1, 'c', 'batch:dora:5', 5)`),
        db.prepare(`INSERT INTO batches (batch_id, username, total_tasks, completed_tasks, failed_tasks, status, created_at, updated_at)
          VALUES ('batch:dora:5', 'dora', 2, 0, 0, 'pending', 5, 5)`),
        db.prepare(`INSERT INTO tasks (batch_id, idx, prompt, params, status, progress, created_at, attempts)
          VALUES ('batch:dora:5', 0, 'a', '{"aspect_ratio":"1:1"}', 'pending', 0, 5, 0),
                 ('batch:dora:5', 1, 'b', '{"aspect_ratio":"1:1"}', 'pending', 0, 5, 0)`),
      ]);

      const old = createD1Storage({ database: db });
      const cancelled = await old.cancelTasks('batch:dora:5', { taskIndex: 0, refundPending: REFUND, refundProcessing: null, now: 10 });
      expect(cancelled).toMatchObject({ balance: 2, cancelled: [{ refund: { amount: 1, reference: 'batch:dora:5:0' } }] });
      const running = await claimPending(old, 'batch:dora:5', 1);
      const failed = await old.failTask('batch:dora:5', 1, running.attempts, 'boom', 20, FAIL_REFUND);
      expect(failed!.refund).toMatchObject({ balance: 3 });
      expect((await old.listFailedTasks({})).items).toMatchObject([{ batchId: 'batch:dora:5', index: 1 }]);

      const version = await db.prepare('SELECT version FROM imagegen_schema').all<{ version: number }>();
      expect(version.results).toEqual([{ version: SCHEMA_VERSION }]);
      const keys = await db.prepare("SELECT charge_key FROM batches WHERE batch_id = 'batch:dora:5'").all();
      expect(keys.results).toEqual([{ charge_key: null }]);
      // The adapter's first-page query, as D1 plans it.
      const plan = await db
        .prepare(`EXPLAIN QUERY PLAN ${FAILED_SELECT} WHERE t.status = 'failed' ${FAILED_ORDER}`)
        .bind(21)
        .all<{ detail: string }>();
      const detail = plan.results.map((r) => r.detail).join(' | ');
      expect(/USING (COVERING )?INDEX tasks_failed/.test(detail) ? 'tasks_failed' : detail).toBe('tasks_failed');
    });

    it('no step leaves a guard row behind', async () => {
      const rows = await env.DB.prepare('SELECT COUNT(*) AS n FROM imagegen_guard').all<{ n: number }>();
      expect(rows.results[0]!.n).toBe(0);
    });
  });
}
