/**
 * What grants mean, in one place: the defaults of their terms, the order a charge draws from them
 * and the order a refund gives back. Storage adapters apply these rules (the Redis scripts repeat
 * them in Lua, `redis/scripts/grants-lua.ts`); no other file decides an order.
 */
import type { GrantKind } from '../schemas/grants.js';

/** How a grant's credits rank and when they expire. */
export interface GrantTerms {
  /** @default 'paid' */
  kind?: GrantKind;
  /** Higher is drawn first. A whole number. @default 0 */
  priority?: number;
  /** ms since epoch; from then on the grant's credits no longer count. @default null (never) */
  expiresAt?: number | null;
}

/** A grant with credits left, as adapters keep it. `key` is the grant entry's idempotency key. */
export interface LiveGrant {
  key: string;
  kind: GrantKind;
  priority: number;
  expiresAt: number | null;
  remaining: number;
  /** The grant entry's journal sequence number: the lower, the older. */
  seq: number;
}

/**
 * What one charge took from one grant, and can still be given back. `grant` is `''` for the
 * default pool (no idempotency key is empty). The grant's terms travel with the draw so a refund
 * can restore a grant that was used up in the meantime.
 */
export interface Draw {
  grant: string;
  amount: number;
  kind: GrantKind;
  priority: number;
  expiresAt: number | null;
  seq: number;
}

/** The key the default pool goes by in draws. */
export const POOL = '';

/** Terms with every default filled in. */
export function termsOf(terms: GrantTerms | undefined): Required<GrantTerms> {
  return { kind: terms?.kind ?? 'paid', priority: terms?.priority ?? 0, expiresAt: terms?.expiresAt ?? null };
}

/** True when the terms are the defaults: such a grant joins the pool instead of being tracked. */
export function isDefaultTerms(terms: GrantTerms | undefined): boolean {
  const t = termsOf(terms);
  return t.kind === 'paid' && t.priority === 0 && t.expiresAt === null;
}

/** The pool as a grant: paid, priority 0, never expires, older than any tracked grant. */
export const poolGrant = (remaining: number): LiveGrant => ({
  key: POOL,
  kind: 'paid',
  priority: 0,
  expiresAt: null,
  remaining,
  seq: 0,
});

/** Draw order: higher priority first, then the soonest expiry (never-expiring last), then the oldest. */
export function drawOrder(a: LiveGrant, b: LiveGrant): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  const ea = a.expiresAt ?? Number.POSITIVE_INFINITY;
  const eb = b.expiresAt ?? Number.POSITIVE_INFINITY;
  if (ea !== eb) return ea < eb ? -1 : 1;
  return a.seq - b.seq;
}

/** Whether a grant's credits have expired at `now` (a grant expiring at `now` is expired). */
export const isExpired = (expiresAt: number | null, now: number): boolean => expiresAt !== null && expiresAt <= now;

/** The draws that take `amount` from the grants in draw order; the caller checked they hold enough. */
export function planDraws(grants: readonly LiveGrant[], amount: number): Draw[] {
  const draws: Draw[] = [];
  let left = amount;
  for (const g of [...grants].sort(drawOrder)) {
    if (left === 0) break;
    const take = Math.min(g.remaining, left);
    if (take === 0) continue;
    draws.push({ grant: g.key, amount: take, kind: g.kind, priority: g.priority, expiresAt: g.expiresAt, seq: g.seq });
    left -= take;
  }
  return draws;
}

/**
 * How a refund of `amount` goes back to the draws of its charge: the last draw first (a partial
 * refund undoes the end of the charge, so the credits that rank last come back first). What the
 * draws do not cover (a charge made before grants existed) goes to the pool. Returns the pieces
 * and the draws as they are after.
 */
export function planRefund(draws: readonly Draw[], amount: number): { pieces: Draw[]; after: Draw[] } {
  const after = draws.map((d) => ({ ...d }));
  const pieces: Draw[] = [];
  let left = amount;
  for (let i = after.length - 1; i >= 0 && left > 0; i--) {
    const d = after[i]!;
    const give = Math.min(d.amount, left);
    if (give === 0) continue;
    pieces.push({ ...d, amount: give });
    d.amount -= give;
    left -= give;
  }
  if (left > 0) pieces.push({ ...poolGrant(0), grant: POOL, amount: left });
  return { pieces, after };
}

/** The idempotency key of the entry that expires what was left of a grant. */
export const expireKeyOf = (grantKey: string): string => `expire:${grantKey}`;
/** The idempotency key of the entry that expires credits a refund gave back to an expired grant. */
export const refundExpireKeyOf = (grantKey: string, refundKey: string): string => `expire:${grantKey}:${refundKey}`;
