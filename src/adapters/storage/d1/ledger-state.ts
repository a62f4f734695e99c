import { InsufficientCreditsError } from '../../../core/errors/insufficient-credits-error.js';
import type { Draw, LiveGrant } from '../../../core/policy/grants.js';
import type { LedgerEntryInput, LedgerWriteResult } from '../../../core/ports/storage-adapter.js';
import type { CreditGrant, GrantKind } from '../../../core/schemas/grants.js';
import {
  assertSameEntry,
  drawsKeyOf,
  fingerprintOf,
  type GrantBook,
  type GrantPlan,
  isPlainEntry,
  listedGrants,
  liveBalance,
  nextExpiry,
  planEntry,
  planExpiry,
  trackedRemaining,
} from '../../../core/storage-kit/index.js';
import { entryOf, type LedgerRow } from '../sqlite/rows.js';
import { SQL } from '../sqlite/statements.js';
import type { D1Database, D1PreparedStatement, D1Result } from './d1-types.js';
import { guard } from './guard.js';
import { statement } from './sql.js';

interface AccountRow {
  balance: number;
  last_seq: number;
  grant_remaining: number;
  next_expiry: number | null;
}

interface GrantRow {
  grant_key: string;
  kind: string;
  priority: number;
  expires_at: number | null;
  seq: number;
  remaining: number;
}

const READ = {
  account: 'SELECT balance, last_seq, grant_remaining, next_expiry FROM accounts WHERE username = ?',
  entries: 'SELECT * FROM ledger WHERE username = ? AND idempotency_key IN (SELECT value FROM json_each(?))',
  draws: 'SELECT charge_key, draws FROM grant_draws WHERE username = ? AND charge_key IN (SELECT value FROM json_each(?))',
};

/** The statements that read what a ledger step on `username` needs, and how to turn their results into a {@link LedgerState}. */
export function readLedger(
  db: D1Database,
  username: string,
  inputs: readonly LedgerEntryInput[],
): { statements: D1PreparedStatement[]; parse: (results: D1Result[]) => LedgerState } {
  const keys = inputs.map((i) => i.idempotencyKey);
  const drawKeys = inputs.flatMap((i) => (i.kind === 'refund' ? (drawsKeyOf(i) ?? []) : []));
  return {
    statements: [
      statement(db, READ.account, [username]),
      statement(db, READ.entries, [username, JSON.stringify(keys)]),
      statement(db, SQL.liveGrants, [username]),
      statement(db, READ.draws, [username, JSON.stringify(drawKeys)]),
    ],
    parse: ([account, entries, grants, draws]) =>
      new LedgerState(
        db,
        username,
        (account!.results[0] as AccountRow | undefined) ?? null,
        grants!.results as unknown as GrantRow[],
        new Map((entries!.results as unknown as LedgerRow[]).map((r) => [r.idempotency_key, r])),
        new Map((draws!.results as Array<{ charge_key: string; draws: string }>).map((r) => [r.charge_key, JSON.parse(r.draws) as Draw[]])),
        new Set(keys),
        new Set(drawKeys),
      ),
  };
}

/**
 * A user's credits as one snapshot read them, and the writes of the entries applied to it since:
 * the SQLite adapter's ledger rules run on it in memory, then the writes go to D1 in one batch
 * behind {@link LedgerState.guard}, which holds only while nobody wrote to the account since.
 */
export class LedgerState {
  /** The statements that persist what was applied, in order. */
  readonly writes: D1PreparedStatement[] = [];
  readonly #readSeq: number | null;
  #balance: number;
  #lastSeq: number;
  #tracked: number;
  #nextExpiry: number | null;
  #grants: LiveGrant[];

  constructor(
    private readonly db: D1Database,
    readonly username: string,
    account: AccountRow | null,
    grants: GrantRow[],
    private readonly entries: Map<string, LedgerRow>,
    private readonly draws: Map<string, Draw[]>,
    private readonly keysRead: Set<string>,
    private readonly drawsRead: Set<string>,
  ) {
    this.#readSeq = account?.last_seq ?? null;
    this.#balance = account?.balance ?? 0;
    this.#lastSeq = account?.last_seq ?? 0;
    this.#tracked = account?.grant_remaining ?? 0;
    this.#nextExpiry = account?.next_expiry ?? null;
    this.#grants = grants.map((r) => ({
      key: r.grant_key,
      kind: r.kind as GrantKind,
      priority: r.priority,
      expiresAt: r.expires_at,
      seq: r.seq,
      remaining: r.remaining,
    }));
  }

  /** The stored balance (the journal's sum), after what was applied. */
  get balance(): number {
    return this.#balance;
  }

  /** Holds while the account's journal is as it was read (every write appends an entry and bumps `last_seq`). */
  guard(): D1PreparedStatement {
    return guard(this.db, '(SELECT last_seq FROM accounts WHERE username = ?) IS ?', [this.username, this.#readSeq]);
  }

  /** The entry with that key, read or applied; the key must be one of the inputs the state was read for. */
  entry(key: string): LedgerRow | null {
    if (!this.keysRead.has(key)) throw new Error(`imagegen-kit: D1 ledger key ${key} was not read`);
    return this.entries.get(key) ?? null;
  }

  #book(lastSeq = this.#lastSeq): GrantBook {
    return { balance: this.#balance, lastSeq, grants: this.#grants };
  }

  /** Applies an entry or replays the one with its key, as the SQLite adapter's `applyEntry` does. */
  apply(input: LedgerEntryInput, now: number): LedgerWriteResult {
    const existing = this.entry(input.idempotencyKey);
    if (existing) {
      const entry = entryOf(existing);
      assertSameEntry(entry, existing.fingerprint, input);
      return { entry, balance: this.#tracked === 0 ? this.#balance : liveBalance(this.#book(0), now), replayed: true };
    }
    // A refund gives back to its charge's draws (`chargeKey`, else `reference`), as the SQLite adapter's `applyEntry`.
    const chargeKey = input.kind === 'refund' ? drawsKeyOf(input) : null;
    if (chargeKey !== null && !this.drawsRead.has(chargeKey)) throw new Error(`imagegen-kit: D1 draws of ${chargeKey} were not read`);
    const draws = chargeKey === null ? null : (this.draws.get(chargeKey) ?? null);
    if (!isPlainEntry({ tracked: this.#tracked, nextExpiry: this.#nextExpiry }, input, draws !== null, now)) {
      const plan = planEntry(this.#book(), input, now, draws);
      const rows = this.#persist(plan, now, drawsKeyOf(input));
      return { entry: entryOf(rows[plan.main]!), balance: plan.balance, replayed: false };
    }
    if (input.amount < 0 && this.#balance + input.amount < 0) throw new InsufficientCreditsError(-input.amount, this.#balance);
    const row: LedgerRow = {
      username: input.username,
      seq: this.#lastSeq + 1,
      kind: input.kind,
      amount: input.amount,
      balance_after: this.#balance + input.amount,
      idempotency_key: input.idempotencyKey,
      reference: input.reference ?? null,
      reason: input.reason ?? null,
      fingerprint: fingerprintOf(input),
      created_at: now,
    };
    this.writes.push(
      statement(this.db, SQL.upsertAccount, { username: row.username, balance: row.balance_after, seq: row.seq }),
      statement(this.db, SQL.insertEntry, row),
    );
    this.#balance = row.balance_after;
    this.#lastSeq = row.seq;
    this.entries.set(row.idempotency_key, row);
    return { entry: entryOf(row), balance: row.balance_after, replayed: false };
  }

  /** Writes the `expire` entries due at `now`, if the account row says any are. */
  settle(now: number): void {
    if (this.#tracked === 0 || this.#nextExpiry === null || this.#nextExpiry > now) return;
    this.#persist(planExpiry(this.#book(), now), now, null);
  }

  /** The grants with credits left at `now`, as the SQLite adapter lists them. */
  listGrants(now: number): CreditGrant[] {
    return this.#readSeq === null ? [] : listedGrants(this.#book(0), now);
  }

  /** Queues a plan's entries, grants, draws and account row, as the SQLite adapter's `persistPlan` writes them. */
  #persist(plan: GrantPlan, now: number, drawsKey: string | null): LedgerRow[] {
    const { db, username } = this;
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
    for (const row of rows) this.writes.push(statement(db, SQL.insertEntry, row));
    for (const key of plan.removed) this.writes.push(statement(db, SQL.deleteGrant, [username, key]));
    for (const g of plan.touched) this.writes.push(statement(db, SQL.putGrant, { username, ...g }));
    if (plan.draws && drawsKey) {
      this.writes.push(statement(db, SQL.putDraws, [username, drawsKey, JSON.stringify(plan.draws)]));
      this.draws.set(drawsKey, plan.draws);
    }
    const last = rows.at(-1);
    if (last) this.writes.push(statement(db, SQL.upsertAccount, { username, balance: plan.balance, seq: last.seq }));
    this.#tracked = trackedRemaining(plan.grants);
    this.#nextExpiry = nextExpiry(plan.grants);
    this.writes.push(statement(db, SQL.setGrantState, [this.#tracked, this.#nextExpiry, username]));
    this.#balance = plan.balance;
    this.#grants = plan.grants;
    if (last) this.#lastSeq = last.seq;
    for (const row of rows) this.entries.set(row.idempotency_key, row);
    return rows;
  }
}
