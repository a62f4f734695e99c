import { InsufficientCreditsError } from '../../../core/errors/insufficient-credits-error.js';
import type { LedgerEntryInput, LedgerStore, LedgerWriteResult } from '../../../core/ports/storage-adapter.js';
import { assertSameEntry, listedGrants, liveBalance, numericCursor, pageLimit } from '../../../core/storage-kit/index.js';
import { bookOf, settleExpiries, writeWithGrants } from './grants.js';
import { ledgerKey, type MemoryState, type UserState, userOf } from './state.js';

/** Validates and applies an entry synchronously; returns the replay when the key exists. */
export function applyEntry(state: MemoryState, input: LedgerEntryInput, now: number): LedgerWriteResult {
  const existing = state.entriesByKey.get(ledgerKey(input.username, input.idempotencyKey));
  const user = userOf(state, input.username);
  if (existing) {
    assertSameEntry(existing.entry, existing.fingerprint, input);
    return { entry: { ...existing.entry }, balance: liveBalance(bookOf(user), now), replayed: true };
  }
  checkEntry(input, user);
  return writeEntry(state, input, user, now);
}

export function checkEntry(input: LedgerEntryInput, user: UserState): void {
  if (input.amount < 0 && user.balance + input.amount < 0) {
    throw new InsufficientCreditsError(-input.amount, user.balance);
  }
}

/** Applies a new entry (drawing from grants, expiring what is due); throws, changing nothing, when it would overdraw. */
export function writeEntry(state: MemoryState, input: LedgerEntryInput, user: UserState, now: number): LedgerWriteResult {
  return writeWithGrants(state, input, user, now);
}

/** The credit journal in memory. */
export function memoryLedger(state: MemoryState): LedgerStore {
  return {
    async applyLedgerEntry(input, now) {
      return applyEntry(state, input, now);
    },
    async getBalance(username, now = Date.now()) {
      const user = state.users.get(username);
      if (!user) return 0;
      settleExpiries(state, user, username, now);
      return user.balance;
    },
    async getLedgerEntry(username, idempotencyKey) {
      const found = state.entriesByKey.get(ledgerKey(username, idempotencyKey));
      return found ? { ...found.entry } : null;
    },
    async listLedger(username, page, now = Date.now()) {
      const user = state.users.get(username);
      if (user) settleExpiries(state, user, username, now);
      const entries = state.users.get(username)?.entries ?? [];
      const limit = pageLimit(page.limit);
      const before = numericCursor(page.cursor) ?? entries.length + 1;
      const start = Math.min(before - 1, entries.length);
      const items = entries
        .slice(Math.max(0, start - limit), start)
        .reverse()
        .map((e) => ({ ...e }));
      const last = items.at(-1);
      return { items, nextCursor: last && last.seq > 1 ? String(last.seq) : null };
    },
    async listGrants(username, now = Date.now()) {
      const user = state.users.get(username);
      return user ? listedGrants(bookOf(user), now) : [];
    },
  };
}
