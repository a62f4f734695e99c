import type { GrantTerms } from '../../../core/policy/grants.js';
import type { LedgerEntryInput, StorageAdapter, TaskCancellation, TaskRefund } from '../../../core/ports/storage-adapter.js';
import { charge, claimPending, makeBatch, tick, type ConformanceContext } from '../fixtures.js';
import type { ConformanceTestApi } from '../test-api.js';

const CANCEL: TaskRefund = { amount: 1, keyPrefix: 'refund:cancel:', reason: 'cancelled' };
const FAILED: TaskRefund = { amount: 1, keyPrefix: 'refund:failed:', reason: 'failed' };

const termed = (username: string, amount: number, key: string, grant: GrantTerms): LedgerEntryInput => ({
  username,
  kind: 'grant',
  amount,
  idempotencyKey: key,
  grant,
});

const cancelOne = (taskIndex: number, now: number): TaskCancellation => ({ taskIndex, refundPending: CANCEL, refundProcessing: null, now });

/** The live grants as `id remaining` strings, in draw order (`pool` for the default pool). */
const remaining = async (storage: StorageAdapter, username: string, now: number) =>
  (await storage.listGrants(username, now)).map((g) => `${g.id ?? 'pool'} ${g.remaining}`);

/** The whole journal as of `now`, oldest first, as `kind amount` strings. */
async function journal(storage: StorageAdapter, username: string, now: number): Promise<string[]> {
  const lines: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await storage.listLedger(username, { limit: 100, cursor }, now);
    for (const e of page.items) lines.unshift(`${e.kind} ${e.amount}`);
    cursor = page.nextCursor;
  } while (cursor);
  return lines;
}

/**
 * The refunds storage writes with a task's transition (cancel of a pending task, a failed attempt
 * under `refundFailedBatchTasks`) give back to the grants drawn by the charge that paid for the
 * task: its batch's charge (whatever its key), or its last retry's.
 */
export function taskRefundsSuite(t: ConformanceTestApi, ctx: () => ConformanceContext): void {
  const { describe, it, expect } = t;
  describe('task refunds go back to the grants their charge drew from', () => {
    it("a cancelled pending task's credit goes back to its batch charge's draws, the last drawn first, never more than drawn", async () => {
      const { storage, user } = ctx();
      const u = user();
      const t0 = tick();
      await storage.applyLedgerEntry({ username: u, kind: 'grant', amount: 5, idempotencyKey: 'paid' }, t0);
      await storage.applyLedgerEntry(termed(u, 2, 'promo', { kind: 'promo', priority: 1, expiresAt: t0 + 600_000 }), t0 + 1);
      const batch = makeBatch(u, t0 + 2, ['a', 'b', 'c']);
      // A key of the caller's choosing: storage must find the draws by the batch, not by a naming rule.
      await storage.createBatch(batch, charge(u, 3, 'my-own-key'), t0 + 2);
      expect(await remaining(storage, u, t0 + 3)).toEqual(['pool 4']);

      const first = await storage.cancelTasks(batch.batchId, cancelOne(0, t0 + 4));
      expect(first).toMatchObject({ balance: 5, cancelled: [{ refund: { kind: 'refund', amount: 1, reference: `${batch.batchId}:0` } }] });
      expect(await remaining(storage, u, t0 + 5)).toEqual(['pool 5']);
      await storage.cancelTasks(batch.batchId, cancelOne(1, t0 + 6));
      expect(await remaining(storage, u, t0 + 7)).toEqual(['promo 1', 'pool 5']);
      await storage.cancelTasks(batch.batchId, cancelOne(2, t0 + 8));
      expect(await remaining(storage, u, t0 + 9)).toEqual(['promo 2', 'pool 5']);
      expect(await storage.listGrants(u, t0 + 9)).toMatchObject([
        { id: 'promo', kind: 'promo', priority: 1, expiresAt: t0 + 600_000 },
        { id: null },
      ]);

      // A further refund of the same charge finds its draws given back already: it joins the pool.
      await storage.applyLedgerEntry(
        { username: u, kind: 'refund', amount: 3, idempotencyKey: 'refund:my-own-key', reference: 'my-own-key' },
        t0 + 10,
      );
      expect(await remaining(storage, u, t0 + 11)).toEqual(['promo 2', 'pool 8']);
      expect(await storage.getBalance(u, t0 + 11)).toBe(10);
    });

    it("a failed attempt's refund goes back to the batch charge's draws, and after a retry to the retry charge's", async () => {
      const { storage, user } = ctx();
      const u = user();
      const t0 = tick();
      await storage.applyLedgerEntry(termed(u, 2, 'promo', { kind: 'promo', priority: 1, expiresAt: t0 + 600_000 }), t0);
      const batch = makeBatch(u, t0 + 1, ['a', 'b']);
      await storage.createBatch(batch, charge(u, 2, 'batch-charge'), t0 + 1);
      expect(await remaining(storage, u, t0 + 2)).toEqual([]);

      const run = await claimPending(storage, batch.batchId, 0);
      const failed = await storage.failTask(batch.batchId, 0, run.attempts, 'boom', t0 + 3, FAILED);
      expect(failed!.refund).toMatchObject({ balance: 1, entry: { kind: 'refund', amount: 1, reference: `${batch.batchId}:0` } });
      expect(await remaining(storage, u, t0 + 4)).toEqual(['promo 1']);

      await storage.applyLedgerEntry(termed(u, 1, 'boost', { kind: 'promo', priority: 5 }), t0 + 5);
      await storage.retryTask(batch.batchId, 0, { charge: charge(u, 1, 'retry-0'), progress: 0 }, t0 + 6);
      expect(await remaining(storage, u, t0 + 7)).toEqual(['promo 1']);
      const again = await claimPending(storage, batch.batchId, 0);
      await storage.failTask(batch.batchId, 0, again.attempts, 'boom', t0 + 8, FAILED);
      expect(await remaining(storage, u, t0 + 9)).toEqual(['boost 1', 'promo 1']);

      // The task that was never retried still gives back to the batch's charge.
      const other = await claimPending(storage, batch.batchId, 1);
      await storage.failTask(batch.batchId, 1, other.attempts, 'boom', t0 + 10, FAILED);
      expect(await remaining(storage, u, t0 + 11)).toEqual(['boost 1', 'promo 2']);
      expect(await storage.getBalance(u, t0 + 11)).toBe(3);
    });

    it('one cancel of a whole batch gives each task back in turn: across grants, into an expired one, the journal in order', async () => {
      const { storage, user } = ctx();
      const u = user();
      const t0 = tick();
      await storage.applyLedgerEntry({ username: u, kind: 'grant', amount: 1, idempotencyKey: 'paid' }, t0);
      await storage.applyLedgerEntry(termed(u, 1, 'soon', { kind: 'promo', priority: 2, expiresAt: t0 + 50 }), t0 + 1);
      await storage.applyLedgerEntry(termed(u, 2, 'later', { kind: 'promo', priority: 1, expiresAt: t0 + 600_000 }), t0 + 2);
      const batch = makeBatch(u, t0 + 3, ['a', 'b', 'c', 'd']);
      // Draws soon 1, later 2, pool 1; refunds give back pool, later, later, then soon (expired by then).
      await storage.createBatch(batch, charge(u, 4, 'batch-charge'), t0 + 3);
      const out = await storage.cancelTasks(batch.batchId, { refundPending: CANCEL, refundProcessing: null, now: t0 + 100 });
      expect(out!.cancelled.map((c) => c.refund?.amount)).toEqual([1, 1, 1, 1]);
      expect(out!.balance).toBe(3);
      expect(await remaining(storage, u, t0 + 101)).toEqual(['later 2', 'pool 1']);
      expect(await journal(storage, u, t0 + 101)).toEqual([
        'grant 1',
        'grant 1',
        'grant 2',
        'charge -4',
        'refund 1',
        'refund 1',
        'refund 1',
        'refund 1',
        'expire -1',
      ]);
      const entries = (await storage.listLedger(u, { limit: 100 }, t0 + 101)).items.reverse();
      expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(entries.map((e) => e.balanceAfter)).toEqual([1, 2, 4, 0, 1, 2, 3, 4, 3]);
    });

    it('a task refund into a grant that has expired since expires at once, with its own entry', async () => {
      const { storage, user } = ctx();
      const u = user();
      const t0 = tick();
      await storage.applyLedgerEntry({ username: u, kind: 'grant', amount: 1, idempotencyKey: 'paid' }, t0);
      await storage.applyLedgerEntry(termed(u, 2, 'trial', { kind: 'promo', expiresAt: t0 + 50 }), t0 + 1);
      const batch = makeBatch(u, t0 + 2, ['a', 'b']);
      await storage.createBatch(batch, charge(u, 2, 'batch-charge'), t0 + 2);
      expect(await storage.getBalance(u, t0 + 3)).toBe(1);

      const out = await storage.cancelTasks(batch.batchId, cancelOne(0, t0 + 60));
      expect(out).toMatchObject({ balance: 1, cancelled: [{ refund: { kind: 'refund', amount: 1, balanceAfter: 2 } }] });
      expect(await storage.getLedgerEntry(u, `expire:trial:refund:cancel:${batch.batchId}:0:0`)).toMatchObject({
        kind: 'expire',
        amount: -1,
        balanceAfter: 1,
        reference: 'trial',
      });
      const run = await claimPending(storage, batch.batchId, 1);
      const failed = await storage.failTask(batch.batchId, 1, run.attempts, 'boom', t0 + 70, FAILED);
      expect(failed!.refund).toMatchObject({ balance: 1 });
      expect(await storage.getBalance(u, t0 + 71)).toBe(1);
      expect(await remaining(storage, u, t0 + 71)).toEqual(['pool 1']);
      expect(await journal(storage, u, t0 + 71)).toEqual([
        'grant 1',
        'grant 2',
        'charge -2',
        'refund 1',
        'expire -1',
        'refund 1',
        'expire -1',
      ]);
    });
  });
}
