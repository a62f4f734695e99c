import { ConflictError, InsufficientCreditsError } from '../../../core/errors/index.js';
import { charge, grant, journalSum, tick, type ConformanceContext } from '../fixtures.js';
import type { ConformanceTestApi } from '../test-api.js';

export function ledgerSuite(t: ConformanceTestApi, ctx: () => ConformanceContext): void {
  const { describe, it, expect } = t;
  describe('ledger', () => {
    it('an unknown user has a balance of 0 and an empty journal', async () => {
      const { storage, user } = ctx();
      const u = user();
      expect(await storage.getBalance(u)).toBe(0);
      expect(await storage.listLedger(u, {})).toEqual({ items: [], nextCursor: null });
    });

    it('moves the balance with each entry and records balanceAfter', async () => {
      const { storage, user } = ctx();
      const u = user();
      const g = await storage.applyLedgerEntry(grant(u, 10, 'g1'), tick());
      expect(g).toMatchObject({
        balance: 10,
        replayed: false,
        entry: { kind: 'grant', amount: 10, balanceAfter: 10, idempotencyKey: 'g1' },
      });
      const c = await storage.applyLedgerEntry(charge(u, 3, 'c1', { reference: 'thing', reason: 'why' }), tick());
      expect(c).toMatchObject({ balance: 7, entry: { kind: 'charge', amount: -3, balanceAfter: 7, reference: 'thing', reason: 'why' } });
      expect(await storage.getBalance(u)).toBe(7);
    });

    it('rejects a debit beyond the balance with required and available, writing nothing', async () => {
      const { storage, user } = ctx();
      const u = user();
      await storage.applyLedgerEntry(grant(u, 2, 'g'), tick());
      const error = await storage.applyLedgerEntry(charge(u, 3, 'c'), tick()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InsufficientCreditsError);
      expect(error).toMatchObject({ code: 'insufficient_credits', required: 3, available: 2 });
      expect(await storage.getBalance(u)).toBe(2);
      expect(await storage.getLedgerEntry(u, 'c')).toBeNull();
      expect((await journalSum(storage, u)).count).toBe(1);
    });

    it('applies the same idempotency key once and replays the same answer', async () => {
      const { storage, user } = ctx();
      const u = user();
      await storage.applyLedgerEntry(grant(u, 5, 'g'), tick());
      const first = await storage.applyLedgerEntry(charge(u, 2, 'k'), tick());
      const again = await storage.applyLedgerEntry(charge(u, 2, 'k'), tick());
      expect(again.replayed).toBe(true);
      expect(again.entry).toEqual(first.entry);
      expect(await storage.getBalance(u)).toBe(3);
    });

    it('a replay answers with the first entry and the balance as it is now', async () => {
      const { storage, user } = ctx();
      const u = user();
      await storage.applyLedgerEntry(grant(u, 5, 'g'), tick());
      const first = await storage.applyLedgerEntry(charge(u, 2, 'k'), tick());
      await storage.applyLedgerEntry(grant(u, 4, 'g2'), tick());
      const again = await storage.applyLedgerEntry(charge(u, 2, 'k'), tick());
      expect(again).toEqual({ entry: first.entry, balance: 7, replayed: true });
    });

    it('rejects the same key with another amount, kind or fingerprint as a conflict', async () => {
      const { storage, user } = ctx();
      const u = user();
      await storage.applyLedgerEntry(grant(u, 5, 'g'), tick());
      await storage.applyLedgerEntry(charge(u, 2, 'k', { fingerprint: 'f1' }), tick());
      for (const input of [charge(u, 3, 'k', { fingerprint: 'f1' }), grant(u, 2, 'k'), charge(u, 2, 'k', { fingerprint: 'f2' })]) {
        const error = await storage.applyLedgerEntry(input, tick()).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConflictError);
        expect(error).toMatchObject({ code: 'conflict', reason: 'idempotency_mismatch' });
      }
      expect(await storage.getBalance(u)).toBe(3);
    });

    it('keeps idempotency keys per user', async () => {
      const { storage, user } = ctx();
      const [a, b] = [user(), user()];
      await storage.applyLedgerEntry(grant(a, 5, 'same'), tick());
      const other = await storage.applyLedgerEntry(grant(b, 7, 'same'), tick());
      expect(other.replayed).toBe(false);
      expect(await storage.getBalance(b)).toBe(7);
    });

    it('finds an entry by its key', async () => {
      const { storage, user } = ctx();
      const u = user();
      await storage.applyLedgerEntry(grant(u, 5, 'find-me'), tick());
      expect(await storage.getLedgerEntry(u, 'find-me')).toMatchObject({ amount: 5, kind: 'grant' });
      expect(await storage.getLedgerEntry(u, 'nope')).toBeNull();
    });

    it('pages the journal newest first with a cursor, and the pages sum to the balance', async () => {
      const { storage, user } = ctx();
      const u = user();
      for (let i = 1; i <= 25; i++) await storage.applyLedgerEntry(grant(u, i, `g${i}`), tick());
      const first = await storage.listLedger(u, { limit: 10 });
      expect(first.items.map((e) => e.amount)).toEqual([25, 24, 23, 22, 21, 20, 19, 18, 17, 16]);
      expect(first.nextCursor).not.toBeNull();
      const second = await storage.listLedger(u, { limit: 10, cursor: first.nextCursor });
      expect(second.items.map((e) => e.amount)).toEqual([15, 14, 13, 12, 11, 10, 9, 8, 7, 6]);
      const third = await storage.listLedger(u, { limit: 10, cursor: second.nextCursor });
      expect(third.items.map((e) => e.amount)).toEqual([5, 4, 3, 2, 1]);
      expect(third.nextCursor).toBeNull();
      expect((await journalSum(storage, u)).sum).toBe(await storage.getBalance(u));
    });
  });
}
