import type { GrantTerms } from '../../policy/grants.js';
import type { LedgerEntry, LedgerKind } from '../../schemas/records.js';

/** A request for one journal entry. `amount` is signed: negative for charges. */
export interface LedgerEntryInput {
  username: string;
  kind: LedgerKind;
  amount: number;
  /** Applying the same key twice applies it once; the same key with another amount, kind or fingerprint is a conflict. */
  idempotencyKey: string;
  reference?: string | null;
  reason?: string | null;
  /** Extra text that must match when the key is replayed (e.g. a hash of the request body). */
  fingerprint?: string | null;
  /**
   * For a `grant`: what kind of credits it adds, how they rank and when they expire. Absent (or
   * all defaults: paid, priority 0, never expires) the credits join the user's default pool.
   */
  grant?: GrantTerms;
  /**
   * For a `refund`: the idempotency key of the charge whose draws it gives back to (see
   * `core/policy/grants.ts`). Absent: `reference`. Storage sets it for the refunds it writes with a
   * task's transition, whose `reference` is the task id.
   */
  chargeKey?: string | null;
}

/**
 * The result of a ledger write. `replayed` is true when the key had already been applied: then
 * `entry` is the entry stored the first time and `balance` the user's balance now.
 */
export interface LedgerWriteResult {
  entry: LedgerEntry;
  balance: number;
  replayed: boolean;
}

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface PageRequest {
  /** @default 20 */
  limit?: number;
  cursor?: string | null;
}
