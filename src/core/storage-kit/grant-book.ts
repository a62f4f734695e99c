import { InsufficientCreditsError } from '../errors/insufficient-credits-error.js';
import {
  type Draw,
  expireKeyOf,
  isDefaultTerms,
  isExpired,
  type LiveGrant,
  POOL,
  planDraws,
  planRefund,
  poolGrant,
  refundExpireKeyOf,
  termsOf,
} from '../policy/grants.js';
import type { LedgerEntryInput } from '../ports/storage/types.js';
import type { CreditGrant } from '../schemas/grants.js';
import type { LedgerKind } from '../schemas/records.js';
import { fingerprintOf } from './ledger-rules.js';

/**
 * A user's credits as an adapter holds them: the stored balance (the sum of the journal), the last
 * journal sequence number and the tracked grants with credits left (due ones included until their
 * `expire` entry is written). What the balance holds beyond the tracked grants is the default pool.
 */
export interface GrantBook {
  balance: number;
  lastSeq: number;
  grants: LiveGrant[];
}

/** A journal entry to append, with the sequence number and balance it gets. */
export interface PlannedEntry {
  seq: number;
  kind: LedgerKind;
  amount: number;
  balanceAfter: number;
  idempotencyKey: string;
  reference: string | null;
  reason: string | null;
  fingerprint: string | null;
}

/** Everything one ledger step writes; adapters persist it in one transaction or script. */
export interface GrantPlan {
  /** In journal order: expiries that were due, the requested entry, expiries of refunded credits. */
  entries: PlannedEntry[];
  /** Index in `entries` of the requested entry; -1 for a plan that only expires. */
  main: number;
  /** The tracked grants after. */
  grants: LiveGrant[];
  /** Grants added or whose `remaining` changed (upsert them). */
  touched: LiveGrant[];
  /** Keys of grants no longer live (delete them). */
  removed: string[];
  /** A charge's draws to store under its key, or a refunded charge's draws as they are after (store under the refund's reference); null: nothing to store. */
  draws: Draw[] | null;
  balance: number;
}

/** Σ remaining of the tracked grants. */
export const trackedRemaining = (grants: readonly LiveGrant[]): number => grants.reduce((sum, g) => sum + g.remaining, 0);

/** The soonest expiry among the grants, or null. Adapters keep it beside the balance so a read knows, cheaply, whether an expiry is due. */
export function nextExpiry(grants: readonly LiveGrant[]): number | null {
  let next: number | null = null;
  for (const g of grants) if (g.expiresAt !== null && (next === null || g.expiresAt < next)) next = g.expiresAt;
  return next;
}

/** The balance a user sees at `now`: expired grants never count, journaled yet or not. */
export function liveBalance(book: GrantBook, now: number): number {
  return book.grants.reduce((sum, g) => (isExpired(g.expiresAt, now) ? sum - g.remaining : sum), book.balance);
}

/** The grants with credits left at `now`, the pool included, in draw order. */
export function listedGrants(book: GrantBook, now: number): CreditGrant[] {
  const live = book.grants.filter((g) => !isExpired(g.expiresAt, now));
  const pool = book.balance - trackedRemaining(book.grants);
  const all = pool > 0 ? [...live, poolGrant(pool)] : live;
  return planDraws(all, Number.MAX_SAFE_INTEGER).map((d) => ({
    id: d.grant === POOL ? null : d.grant,
    kind: d.kind,
    priority: d.priority,
    remaining: d.amount,
    expiresAt: d.expiresAt,
  }));
}

/**
 * True when an entry can skip the planner and just move the balance: no grant terms, no draws to
 * give back to, no expiry due, and either no tracked grant or a credit (which joins the pool).
 */
export function isPlainEntry(
  account: { tracked: number; nextExpiry: number | null },
  input: LedgerEntryInput,
  hasDraws: boolean,
  now: number,
): boolean {
  if (input.kind === 'grant' && !isDefaultTerms(input.grant)) return false;
  if (input.kind === 'refund' && hasDraws) return false;
  if (account.nextExpiry !== null && account.nextExpiry <= now) return false;
  return account.tracked === 0 || input.amount > 0;
}

class Planner {
  readonly entries: PlannedEntry[] = [];
  readonly touched = new Map<string, LiveGrant>();
  readonly removed = new Set<string>();
  grants: LiveGrant[];
  balance: number;
  private seq: number;

  constructor(book: GrantBook) {
    this.grants = book.grants.map((g) => ({ ...g }));
    this.balance = book.balance;
    this.seq = book.lastSeq;
  }

  append(kind: LedgerKind, amount: number, key: string, reference: string | null, reason: string | null, fingerprint: string | null) {
    this.balance += amount;
    this.seq += 1;
    this.entries.push({ seq: this.seq, kind, amount, balanceAfter: this.balance, idempotencyKey: key, reference, reason, fingerprint });
    return this.seq;
  }

  drop(key: string): void {
    this.grants = this.grants.filter((g) => g.key !== key);
    this.touched.delete(key);
    this.removed.add(key);
  }

  put(grant: LiveGrant): void {
    if (!this.grants.includes(grant)) this.grants.push(grant);
    this.touched.set(grant.key, grant);
    this.removed.delete(grant.key);
  }

  expireDue(now: number): void {
    for (const g of this.grants.filter((x) => isExpired(x.expiresAt, now))) {
      this.append('expire', -g.remaining, expireKeyOf(g.key), g.key, 'expired', null);
      this.drop(g.key);
    }
  }

  plan(main: number, draws: Draw[] | null): GrantPlan {
    return {
      entries: this.entries,
      main,
      grants: this.grants,
      touched: [...this.touched.values()],
      removed: [...this.removed],
      draws,
      balance: this.balance,
    };
  }
}

/** Writes the `expire` entries of every grant due at `now`. */
export function planExpiry(book: GrantBook, now: number): GrantPlan {
  const p = new Planner(book);
  p.expireDue(now);
  return p.plan(-1, null);
}

/**
 * Plans one entry on a book: first the expiries due at `now`, then the entry. A debit draws from
 * the live grants in draw order (throws `InsufficientCreditsError`, planning nothing, when they
 * hold too little); a refund gives back to `chargeDraws` (the draws of the charge its `reference`
 * names), and what it gives to a grant that has expired expires at once with its own entry; a
 * grant with terms becomes a tracked grant; any other credit joins the pool.
 */
export function planEntry(book: GrantBook, input: LedgerEntryInput, now: number, chargeDraws: Draw[] | null): GrantPlan {
  const p = new Planner(book);
  p.expireDue(now);
  const ref = input.reference ?? null;
  const reason = input.reason ?? null;
  const fingerprint = fingerprintOf(input);
  if (input.amount < 0) {
    if (p.balance + input.amount < 0) throw new InsufficientCreditsError(-input.amount, p.balance);
    const pool = p.balance - trackedRemaining(p.grants);
    const draws = planDraws([...p.grants, poolGrant(pool)], -input.amount);
    for (const d of draws) {
      const g = p.grants.find((x) => x.key === d.grant);
      if (!g) continue;
      g.remaining -= d.amount;
      if (g.remaining === 0) p.drop(g.key);
      else p.put(g);
    }
    const main = p.append(input.kind, input.amount, input.idempotencyKey, ref, reason, fingerprint);
    const tracked = draws.some((d) => d.grant !== POOL);
    return p.plan(main - book.lastSeq - 1, tracked ? draws : null);
  }
  if (input.kind === 'refund' && chargeDraws) {
    const { pieces, after } = planRefund(chargeDraws, input.amount);
    const main = p.append(input.kind, input.amount, input.idempotencyKey, ref, reason, fingerprint);
    for (const piece of pieces) {
      if (piece.grant === POOL) continue;
      const live = p.grants.find((g) => g.key === piece.grant);
      if (live) {
        live.remaining += piece.amount;
        p.put(live);
      } else if (isExpired(piece.expiresAt, now)) {
        p.append('expire', -piece.amount, refundExpireKeyOf(piece.grant, input.idempotencyKey), piece.grant, 'expired', null);
      } else {
        const { grant, amount, ...terms } = piece;
        p.put({ key: grant, remaining: amount, ...terms });
      }
    }
    return p.plan(main - book.lastSeq - 1, after);
  }
  const main = p.append(input.kind, input.amount, input.idempotencyKey, ref, reason, fingerprint);
  if (input.kind === 'grant' && !isDefaultTerms(input.grant)) {
    const t = termsOf(input.grant);
    if (isExpired(t.expiresAt, now)) {
      p.append('expire', -input.amount, expireKeyOf(input.idempotencyKey), input.idempotencyKey, 'expired', null);
    } else {
      p.put({ key: input.idempotencyKey, ...t, remaining: input.amount, seq: main });
    }
  }
  return p.plan(main - book.lastSeq - 1, null);
}
