import type { CreditGrant } from '../../schemas/grants.js';
import type { LedgerEntry } from '../../schemas/records.js';
import type { LedgerEntryInput, LedgerWriteResult, Page, PageRequest } from './types.js';

/**
 * The credit journal: an append-only list of entries per user, and the balance it sums to, held in
 * grants (see `core/policy/grants.ts`): a debit draws from the live grants in draw order, a refund
 * gives back to the grants its charge drew from, and what is left of a grant when it expires
 * leaves the balance with an `expire` entry. That entry is written lazily, by the first read or
 * write at or after the expiry (each method's `now`, default the adapter's clock); no method ever
 * counts an expired grant.
 *
 * Failure contract: a debit larger than the live balance throws `InsufficientCreditsError` and
 * writes nothing; a key reused with another amount, kind, fingerprint or grant terms throws
 * `ConflictError` (reason `idempotency_mismatch`) and writes nothing.
 */
export interface LedgerStore {
  /** Appends one entry (after the expiries due at `now`) and moves the balance with it; a key applied before replays its first entry with the balance as it is now. */
  applyLedgerEntry(input: LedgerEntryInput, now: number): Promise<LedgerWriteResult>;
  /** The live balance, the sum of the user's journal once the expiries due at `now` are in it (0 for an unknown user). */
  getBalance(username: string, now?: number): Promise<number>;
  /** The user's entry with that idempotency key (keys are per user), or null. */
  getLedgerEntry(username: string, idempotencyKey: string): Promise<LedgerEntry | null>;
  /** The user's journal, newest first, paged with the cursor it returns; the expiries due at `now` are written first. */
  listLedger(username: string, page: PageRequest, now?: number): Promise<Page<LedgerEntry>>;
  /** The grants with credits left at `now`, in draw order, the default pool included when it holds any; they sum to the balance. */
  listGrants(username: string, now?: number): Promise<CreditGrant[]>;
}
