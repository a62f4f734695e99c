import type { Draw, LiveGrant } from '../../../core/policy/grants.js';
import type { LedgerEntryInput, LedgerWriteResult } from '../../../core/ports/storage-adapter.js';
import type { LedgerEntry } from '../../../core/schemas/records.js';
import { drawsKeyOf, type GrantBook, type GrantPlan, planEntry, planExpiry } from '../../../core/storage-kit/index.js';
import { ledgerKey, type MemoryState, type UserState } from './state.js';

/** A user's tracked grants and the draws of their charges (by charge key). */
interface GrantState {
  grants: LiveGrant[];
  draws: Map<string, Draw[]>;
}

const grantStates = new WeakMap<UserState, GrantState>();

function grantStateOf(user: UserState): GrantState {
  let g = grantStates.get(user);
  if (!g) {
    g = { grants: [], draws: new Map() };
    grantStates.set(user, g);
  }
  return g;
}

/** The user's book as the planner reads it. */
export function bookOf(user: UserState): GrantBook {
  return { balance: user.balance, lastSeq: user.entries.length, grants: grantStateOf(user).grants };
}

function persist(state: MemoryState, user: UserState, username: string, plan: GrantPlan, now: number, drawsKey: string | null): void {
  const g = grantStateOf(user);
  g.grants = plan.grants.map((x) => ({ ...x }));
  if (plan.draws && drawsKey) g.draws.set(drawsKey, plan.draws);
  for (const p of plan.entries) {
    const entry: LedgerEntry = {
      seq: p.seq,
      username,
      kind: p.kind,
      amount: p.amount,
      balanceAfter: p.balanceAfter,
      idempotencyKey: p.idempotencyKey,
      reference: p.reference,
      reason: p.reason,
      createdAt: now,
    };
    user.entries.push(entry);
    state.entriesByKey.set(ledgerKey(username, p.idempotencyKey), { entry, fingerprint: p.fingerprint });
  }
  user.balance = plan.balance;
}

/** Plans and applies one new entry; throws `InsufficientCreditsError` having changed nothing. */
export function writeWithGrants(state: MemoryState, input: LedgerEntryInput, user: UserState, now: number): LedgerWriteResult {
  const g = grantStateOf(user);
  const drawsKey = drawsKeyOf(input);
  const plan = planEntry(bookOf(user), input, now, drawsKey && input.kind === 'refund' ? (g.draws.get(drawsKey) ?? null) : null);
  persist(state, user, input.username, plan, now, drawsKey);
  const entry = user.entries[user.entries.length - plan.entries.length + plan.main]!;
  return { entry: { ...entry }, balance: user.balance, replayed: false };
}

/** Writes the `expire` entries due at `now`. */
export function settleExpiries(state: MemoryState, user: UserState, username: string, now: number): void {
  const plan = planExpiry(bookOf(user), now);
  if (plan.entries.length > 0) persist(state, user, username, plan, now, null);
}
