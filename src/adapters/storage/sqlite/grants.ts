import type { Draw, LiveGrant } from '../../../core/policy/grants.js';
import type { LedgerEntryInput } from '../../../core/ports/storage-adapter.js';
import type { GrantKind } from '../../../core/schemas/grants.js';
import {
  drawsKeyOf,
  type GrantBook,
  type GrantPlan,
  nextExpiry,
  planEntry,
  planExpiry,
  trackedRemaining,
} from '../../../core/storage-kit/index.js';
import type { LedgerRow } from './rows.js';
import type { Statements } from './statements.js';

interface GrantRow {
  grant_key: string;
  kind: string;
  priority: number;
  expires_at: number | null;
  seq: number;
  remaining: number;
}

/** What the account row says about grants: Σ remaining of tracked grants and their soonest expiry. */
export function grantStateOf(st: Statements, username: string): { tracked: number; nextExpiry: number | null } {
  const row = st.grantState.get(username) as { grant_remaining: number; next_expiry: number | null } | undefined;
  return { tracked: row?.grant_remaining ?? 0, nextExpiry: row?.next_expiry ?? null };
}

/** The draws of a charge, or null. */
export function drawsOf(st: Statements, username: string, chargeKey: string): Draw[] | null {
  const row = st.draws.get(username, chargeKey) as { draws: string } | undefined;
  return row ? (JSON.parse(row.draws) as Draw[]) : null;
}

export function bookOf(st: Statements, username: string, balance: number, lastSeq: number): GrantBook {
  const grants = (st.liveGrants.all(username) as GrantRow[]).map(
    (r): LiveGrant => ({
      key: r.grant_key,
      kind: r.kind as GrantKind,
      priority: r.priority,
      expiresAt: r.expires_at,
      seq: r.seq,
      remaining: r.remaining,
    }),
  );
  return { balance, lastSeq, grants };
}

/** Writes a plan's entries, grants, draws and account row; call inside a write transaction. Returns the rows written. */
export function persistPlan(st: Statements, username: string, plan: GrantPlan, now: number, drawsKey: string | null): LedgerRow[] {
  const rows = plan.entries.map(
    (p): LedgerRow => ({
      username,
      seq: p.seq,
      kind: p.kind,
      amount: p.amount,
      balance_after: p.balanceAfter,
      idempotency_key: p.idempotencyKey,
      reference: p.reference,
      reason: p.reason,
      fingerprint: p.fingerprint,
      created_at: now,
    }),
  );
  for (const row of rows) st.insertEntry.run(row);
  for (const key of plan.removed) st.deleteGrant.run(username, key);
  for (const g of plan.touched) st.putGrant.run({ username, ...g });
  if (plan.draws && drawsKey) st.putDraws.run(username, drawsKey, JSON.stringify(plan.draws));
  const last = rows.at(-1);
  if (last) st.upsertAccount.run({ username, balance: plan.balance, seq: last.seq });
  st.setGrantState.run(trackedRemaining(plan.grants), nextExpiry(plan.grants), username);
  return rows;
}

/** Plans one new entry on the user's grants and writes it; returns the requested entry's row and the balance after. */
export function writeWithGrants(
  st: Statements,
  input: LedgerEntryInput,
  account: { balance: number; lastSeq: number },
  draws: Draw[] | null,
  now: number,
): { row: LedgerRow; balance: number } {
  const plan = planEntry(bookOf(st, input.username, account.balance, account.lastSeq), input, now, draws);
  const rows = persistPlan(st, input.username, plan, now, drawsKeyOf(input));
  return { row: rows[plan.main]!, balance: plan.balance };
}

/** Writes the `expire` entries due at `now`, if any; call inside a write transaction. */
export function settleExpiries(st: Statements, username: string, now: number): void {
  const { tracked, nextExpiry: next } = grantStateOf(st, username);
  if (tracked === 0 || next === null || next > now) return;
  const account = st.account.get(username) as { balance: number; last_seq: number };
  persistPlan(st, username, planExpiry(bookOf(st, username, account.balance, account.last_seq), now), now, null);
}
