import type { LedgerEntry } from '../../schemas/records.js';
import type { LedgerEntryInput, LedgerWriteResult, Page, PageRequest } from './types.js';

/**
 * The credit journal: an append-only list of entries per user, and the balance it sums to.
 *
 * Failure contract: a debit larger than the balance throws `InsufficientCreditsError` and writes
 * nothing; a key reused with another amount, kind or fingerprint throws `ConflictError` (reason
 * `idempotency_mismatch`) and writes nothing.
 */
export interface LedgerStore {
  /** Appends one entry and moves the balance with it; a key applied before replays its first entry with the balance as it is now. */
  applyLedgerEntry(input: LedgerEntryInput, now: number): Promise<LedgerWriteResult>;
  /** The current balance, the sum of the user's journal (0 for an unknown user). */
  getBalance(username: string): Promise<number>;
  /** The user's entry with that idempotency key (keys are per user), or null. */
  getLedgerEntry(username: string, idempotencyKey: string): Promise<LedgerEntry | null>;
  /** The user's journal, newest first, paged with the cursor it returns. */
  listLedger(username: string, page: PageRequest): Promise<Page<LedgerEntry>>;
}
