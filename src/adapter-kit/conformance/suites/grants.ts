import { isImageGenError } from '../../../core/errors/index.js';
import type { GrantTerms } from '../../../core/policy/grants.js';
import { PROGRESS } from '../../../core/policy/progress.js';
import type { LedgerEntryInput, StorageAdapter } from '../../../core/ports/storage-adapter.js';
import { charge, claimPending, makeBatch, tick, type ConformanceContext } from '../fixtures.js';
import type { ConformanceTestApi } from '../test-api.js';

const termed = (username: string, amount: number, key: string, grant: GrantTerms): LedgerEntryInput => ({
  username,
  kind: 'grant',
  amount,
  idempotencyKey: key,
  grant,
});
const refund = (username: string, amount: number, chargeKey: string): LedgerEntryInput => ({
  username,
  kind: 'refund',
  amount,
  idempotencyKey: `refund:${chargeKey}`,
  reference: chargeKey,
});

/** The whole journal as of `now`, oldest first, as `kind amount` strings, and its sum. */
async function journal(storage: StorageAdapter, username: string, now: number): Promise<{ lines: string[]; sum: number }> {
  const lines: string[] = [];
  let sum = 0;
  let cursor: string | null = null;
  do {
    const page = await storage.listLedger(username, { limit: 100, cursor }, now);
    for (const e of page.items) {
      lines.unshift(`${e.kind} ${e.amount}`);
      sum += e.amount;
    }
    cursor = page.nextCursor;
  } while (cursor);
  return { lines, sum };
}

const remaining = async (storage: StorageAdapter, username: string, now: number) =>
  (await storage.listGrants(username, now)).map((g) => `${g.id ?? 'pool'} ${g.remaining}`);

export function grantsSuite(t: ConformanceTestApi, ctx: () => ConformanceContext): void {
  const { describe, it, expect } = t;
  describe('grants', () => {
    it('a charge draws by priority (higher first), then soonest expiry, then oldest; the pool is the oldest paid grant of priority 0', async () => {
      const { storage, user } = ctx();
      const u = user();
      const t0 = tick();
      await storage.applyLedgerEntry({ username: u, kind: 'grant', amount: 2, idempotencyKey: 'pool' }, t0);
      await storage.applyLedgerEntry(termed(u, 2, 'late', { expiresAt: t0 + 900 }), t0 + 1);
      await storage.applyLedgerEntry(termed(u, 2, 'soon-b', { expiresAt: t0 + 500 }), t0 + 2);
      await storage.applyLedgerEntry(termed(u, 2, 'soon-a', { expiresAt: t0 + 500, kind: 'promo' }), t0 + 3);
      await storage.applyLedgerEntry(termed(u, 2, 'promo', { kind: 'promo', priority: 5 }), t0 + 4);
      await storage.applyLedgerEntry(termed(u, 2, 'keeps', { kind: 'promo' }), t0 + 5);
      expect(await remaining(storage, u, t0 + 6)).toEqual(['promo 2', 'soon-b 2', 'soon-a 2', 'late 2', 'pool 2', 'keeps 2']);
      const listed = await storage.listGrants(u, t0 + 6);
      expect(listed[0]).toEqual({ id: 'promo', kind: 'promo', priority: 5, remaining: 2, expiresAt: null });
      expect(listed[4]).toEqual({ id: null, kind: 'paid', priority: 0, remaining: 2, expiresAt: null });
      const c = await storage.applyLedgerEntry(charge(u, 5, 'c'), t0 + 7);
      expect(c).toMatchObject({ balance: 7, entry: { amount: -5, balanceAfter: 7 } });
      expect(await remaining(storage, u, t0 + 8)).toEqual(['soon-a 1', 'late 2', 'pool 2', 'keeps 2']);
      await storage.applyLedgerEntry(charge(u, 6, 'c2'), t0 + 9);
      expect(await remaining(storage, u, t0 + 10)).toEqual(['keeps 1']);
    });

    it('an expired grant never counts, and what was left of it leaves with one expire entry', async () => {
      const { storage, user } = ctx();
      const u = user();
      const t0 = tick();
      await storage.applyLedgerEntry({ username: u, kind: 'grant', amount: 3, idempotencyKey: 'base' }, t0);
      await storage.applyLedgerEntry(termed(u, 5, 'month', { expiresAt: t0 + 100, kind: 'promo' }), t0 + 1);
      await storage.applyLedgerEntry(charge(u, 2, 'c'), t0 + 2);
      expect(await storage.getBalance(u, t0 + 99)).toBe(6);
      expect(await storage.getBalance(u, t0 + 100)).toBe(3);
      expect(await storage.listGrants(u, t0 + 100)).toEqual([{ id: null, kind: 'paid', priority: 0, remaining: 3, expiresAt: null }]);
      const after = await journal(storage, u, t0 + 101);
      expect(after).toEqual({ lines: ['grant 3', 'grant 5', 'charge -2', 'expire -3'], sum: 3 });
      expect(await storage.getLedgerEntry(u, 'expire:month')).toMatchObject({
        kind: 'expire',
        amount: -3,
        balanceAfter: 3,
        reference: 'month',
      });
      expect((await journal(storage, u, t0 + 200)).lines).toHaveLength(4);
    });

    it('a charge cannot use an expired grant, and the balance never goes below zero', async () => {
      const { storage, user } = ctx();
      const u = user();
      const t0 = tick();
      await storage.applyLedgerEntry(termed(u, 4, 'g', { expiresAt: t0 + 10 }), t0);
      const error = await storage.applyLedgerEntry(charge(u, 1, 'late'), t0 + 10).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'insufficient_credits', required: 1, available: 0 });
      expect(await storage.getLedgerEntry(u, 'late')).toBeNull();
      expect(await storage.getBalance(u, t0 + 11)).toBe(0);
      expect(await journal(storage, u, t0 + 11)).toEqual({ lines: ['grant 4', 'expire -4'], sum: 0 });
    });

    it('a refund goes back to the grants its charge drew from, the last drawn first', async () => {
      const { storage, user } = ctx();
      const u = user();
      const t0 = tick();
      await storage.applyLedgerEntry({ username: u, kind: 'grant', amount: 5, idempotencyKey: 'paid' }, t0);
      await storage.applyLedgerEntry(termed(u, 2, 'promo', { kind: 'promo', priority: 1, expiresAt: t0 + 1000 }), t0 + 1);
      await storage.applyLedgerEntry(charge(u, 4, 'c'), t0 + 2);
      expect(await remaining(storage, u, t0 + 3)).toEqual(['pool 3']);
      const r1 = await storage.applyLedgerEntry(refund(u, 1, 'c'), t0 + 4);
      expect(r1).toMatchObject({ balance: 4, replayed: false, entry: { kind: 'refund', amount: 1 } });
      expect(await remaining(storage, u, t0 + 5)).toEqual(['pool 4']);
      await storage.applyLedgerEntry({ ...refund(u, 3, 'c'), idempotencyKey: 'refund-rest' }, t0 + 6);
      expect(await remaining(storage, u, t0 + 7)).toEqual(['promo 2', 'pool 5']);
      expect(await storage.listGrants(u, t0 + 7)).toMatchObject([
        { id: 'promo', kind: 'promo', priority: 1, expiresAt: t0 + 1000 },
        { id: null },
      ]);
      const replay = await storage.applyLedgerEntry(refund(u, 1, 'c'), t0 + 8);
      expect(replay).toMatchObject({ replayed: true, balance: 7 });
      expect(await storage.getBalance(u, t0 + 9)).toBe(7);
    });

    it('credits refunded into a grant that has expired expire at once, with their own entry', async () => {
      const { storage, user } = ctx();
      const u = user();
      const t0 = tick();
      await storage.applyLedgerEntry({ username: u, kind: 'grant', amount: 1, idempotencyKey: 'paid' }, t0);
      await storage.applyLedgerEntry(termed(u, 3, 'trial', { kind: 'promo', expiresAt: t0 + 50 }), t0 + 1);
      await storage.applyLedgerEntry(charge(u, 4, 'c'), t0 + 2);
      const r = await storage.applyLedgerEntry(refund(u, 4, 'c'), t0 + 60);
      expect(r).toMatchObject({ balance: 1, entry: { kind: 'refund', amount: 4, balanceAfter: 4 } });
      expect(await storage.getBalance(u, t0 + 61)).toBe(1);
      expect(await storage.getLedgerEntry(u, 'expire:trial:refund:c')).toMatchObject({ kind: 'expire', amount: -3, balanceAfter: 1 });
      expect(await journal(storage, u, t0 + 61)).toEqual({ lines: ['grant 1', 'grant 3', 'charge -4', 'refund 4', 'expire -3'], sum: 1 });
      expect(await remaining(storage, u, t0 + 61)).toEqual(['pool 1']);
    });

    it('a grant used up and refunded before it expires comes back with its terms, and still expires', async () => {
      const { storage, user } = ctx();
      const u = user();
      const t0 = tick();
      await storage.applyLedgerEntry(termed(u, 2, 'g', { kind: 'promo', priority: 2, expiresAt: t0 + 30 }), t0);
      await storage.applyLedgerEntry(charge(u, 2, 'c'), t0 + 1);
      expect(await storage.listGrants(u, t0 + 2)).toEqual([]);
      await storage.applyLedgerEntry(refund(u, 2, 'c'), t0 + 3);
      expect(await storage.listGrants(u, t0 + 4)).toEqual([{ id: 'g', kind: 'promo', priority: 2, remaining: 2, expiresAt: t0 + 30 }]);
      expect(await storage.getBalance(u, t0 + 30)).toBe(0);
      expect((await journal(storage, u, t0 + 31)).lines).toEqual(['grant 2', 'charge -2', 'refund 2', 'expire -2']);
    });

    it('a grant replays by its key, and the same key with other terms is a conflict', async () => {
      const { storage, user } = ctx();
      const u = user();
      const t0 = tick();
      const first = await storage.applyLedgerEntry(termed(u, 5, 'g', { kind: 'promo', expiresAt: t0 + 100 }), t0);
      const again = await storage.applyLedgerEntry(termed(u, 5, 'g', { kind: 'promo', expiresAt: t0 + 100 }), t0 + 1);
      expect(again).toEqual({ entry: first.entry, balance: 5, replayed: true });
      for (const terms of [
        { kind: 'paid' as const, expiresAt: t0 + 100 },
        { kind: 'promo' as const },
        { kind: 'promo' as const, expiresAt: t0 + 100, priority: 1 },
      ]) {
        const error = await storage.applyLedgerEntry(termed(u, 5, 'g', terms), t0 + 2).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'conflict', reason: 'idempotency_mismatch' });
      }
      expect(await remaining(storage, u, t0 + 3)).toEqual(['g 5']);
    });

    it('createBatch and retryTask draw from grants in the same order', async () => {
      const { storage, user } = ctx();
      const u = user();
      const t0 = tick();
      await storage.applyLedgerEntry({ username: u, kind: 'grant', amount: 2, idempotencyKey: 'paid' }, t0);
      await storage.applyLedgerEntry(termed(u, 3, 'promo', { kind: 'promo', priority: 1, expiresAt: t0 + 1_000_000 }), t0);
      const ts = tick();
      const created = await storage.createBatch(makeBatch(u, ts), charge(u, 3, 'batch-charge'), ts);
      expect(created.balance).toBe(2);
      expect(await remaining(storage, u, ts + 1)).toEqual(['pool 2']);
      const task = await claimPending(storage, created.batch.batchId, 0);
      await storage.failTask(created.batch.batchId, 0, task.attempts, 'boom', tick());
      await storage.applyLedgerEntry(refund(u, 1, 'batch-charge'), tick());
      expect(await remaining(storage, u, tick())).toEqual(['promo 1', 'pool 2']);
      const retried = await storage.retryTask(
        created.batch.batchId,
        0,
        { charge: charge(u, 1, 'retry'), progress: PROGRESS.queued },
        tick(),
      );
      expect(retried.balance).toBe(2);
      expect(await remaining(storage, u, tick())).toEqual(['pool 2']);
    });

    it('a charge racing an expiry has exactly one outcome, and the journal sums to the balance', async () => {
      const { storage, user } = ctx();
      const t0 = tick();
      const users = Array.from({ length: 20 }, () => user('race'));
      await Promise.all(users.map((u) => storage.applyLedgerEntry(termed(u, 5, 'g', { expiresAt: t0 + 100 }), t0)));
      const outcomes = await Promise.all(
        users.map(async (u, i) => {
          const [charged] = await Promise.allSettled([
            storage.applyLedgerEntry(charge(u, 5, 'c'), t0 + 99),
            i % 2 ? storage.getBalance(u, t0 + 100) : storage.listLedger(u, {}, t0 + 100),
          ]);
          if (charged.status === 'rejected' && !(isImageGenError(charged.reason) && charged.reason.code === 'insufficient_credits')) {
            throw charged.reason;
          }
          const { lines, sum } = await journal(storage, u, t0 + 200);
          expect(sum).toBe(0);
          expect(await storage.getBalance(u, t0 + 200)).toBe(0);
          expect(lines).toEqual(charged.status === 'fulfilled' ? ['grant 5', 'charge -5'] : ['grant 5', 'expire -5']);
          return charged.status;
        }),
      );
      expect(outcomes).toHaveLength(20);
    });
  });
}
