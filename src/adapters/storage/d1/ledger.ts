import { isDefaultTerms } from '../../../core/policy/grants.js';
import type { LedgerEntryInput, LedgerStore, LedgerWriteResult } from '../../../core/ports/storage-adapter.js';
import { drawsKeyOf, fingerprintOf, numericCursor, pageLimit } from '../../../core/storage-kit/index.js';
import { entryOf, type LedgerRow } from '../sqlite/rows.js';
import { SQL } from '../sqlite/statements.js';
import type { D1Database, D1PreparedStatement, D1Result } from './d1-types.js';
import { guard, guardedStep, runGuarded } from './guard.js';
import { type LedgerState, readLedger } from './ledger-state.js';
import { statement } from './sql.js';

/** The largest cursor: the first page starts below it. */
export const MAX_CURSOR = Number.MAX_SAFE_INTEGER;

/**
 * The common entry without reading first: a new key on an account that can pay and where grants
 * decide nothing (the conditions of `isPlainEntry`, in SQL). The account row is opened at 0 before
 * the guard, so the guard rolls that back too.
 */
const FAST = {
  open: 'INSERT INTO accounts (username, balance, last_seq) VALUES (@username, 0, 0) ON CONFLICT (username) DO NOTHING',
  condition: `SELECT balance + @amount >= 0 AND (@amount > 0 OR grant_remaining = 0) AND (next_expiry IS NULL OR next_expiry > @now)
      AND NOT EXISTS (SELECT 1 FROM ledger WHERE username = @username AND idempotency_key = @key)
      AND (@kind <> 'refund' OR @draws_key IS NULL
        OR NOT EXISTS (SELECT 1 FROM grant_draws WHERE username = @username AND charge_key = @draws_key))
    FROM accounts WHERE username = @username`,
  move: 'UPDATE accounts SET balance = balance + @amount, last_seq = last_seq + 1 WHERE username = @username',
  entry: `INSERT INTO ledger (username, seq, kind, amount, balance_after, idempotency_key, reference, reason, fingerprint, created_at)
    SELECT username, last_seq, @kind, @amount, balance, @key, @reference, @reason, @fingerprint, @now FROM accounts WHERE username = @username
    RETURNING *`,
};

/** A fast entry's statements: `guards` before the step's other guards, `writes` (the entry's row is returned by the last) before its other writes. */
export interface FastEntry {
  guards: D1PreparedStatement[];
  writes: D1PreparedStatement[];
  /** The entry written, from the results of `writes` (in the same positions). */
  entryOf(results: D1Result[]): LedgerRow;
}

/** The fast path of an entry, or null when grant terms make it the planner's. */
export function fastEntry(db: D1Database, input: LedgerEntryInput, now: number): FastEntry | null {
  if (input.kind === 'grant' && !isDefaultTerms(input.grant)) return null;
  const params = {
    username: input.username,
    amount: input.amount,
    kind: input.kind,
    key: input.idempotencyKey,
    reference: input.reference ?? null,
    // The charge whose draws a refund gives back to: stored draws make it the planner's.
    draws_key: input.kind === 'refund' ? drawsKeyOf(input) : null,
    reason: input.reason ?? null,
    fingerprint: fingerprintOf(input),
    now,
  };
  return {
    guards: [statement(db, FAST.open, params), guard(db, FAST.condition, params)],
    writes: [statement(db, FAST.move, params), statement(db, FAST.entry, params)],
    entryOf: (results) => results[1]!.results[0] as unknown as LedgerRow,
  };
}

/** Reads the user's credits (for `inputs`) with `extra` statements in the same snapshot. */
export async function readWith(
  db: D1Database,
  username: string,
  inputs: readonly LedgerEntryInput[],
  extra: D1PreparedStatement[] = [],
): Promise<{ state: LedgerState; extra: D1Result[] }> {
  const read = readLedger(db, username, inputs);
  const results = await db.batch([...read.statements, ...extra]);
  return { state: read.parse(results), extra: results.slice(read.statements.length) };
}

/** The credit journal on D1: the SQLite adapter's tables, each write one guarded batch. */
export function d1Ledger(db: D1Database): LedgerStore {
  /** Settles the expiries due at `now` (only when the account row says one is); returns the stored balance after. */
  const settled = (username: string, now: number): Promise<number> =>
    guardedStep<number>(db, async () => {
      const { state } = await readWith(db, username, []);
      state.settle(now);
      if (state.writes.length === 0) return { done: state.balance };
      return { guards: [state.guard()], writes: state.writes, finish: () => state.balance };
    });

  return {
    async applyLedgerEntry(input, now): Promise<LedgerWriteResult> {
      const fast = fastEntry(db, input, now);
      if (fast) {
        const results = await runGuarded(db, fast.guards, fast.writes);
        if (results) {
          const entry = entryOf(fast.entryOf(results));
          return { entry, balance: entry.balanceAfter, replayed: false };
        }
      }
      return guardedStep<LedgerWriteResult>(db, async () => {
        const { state } = await readWith(db, input.username, [input]);
        const result = state.apply(input, now);
        if (state.writes.length === 0) return { done: result };
        return { guards: [state.guard()], writes: state.writes, finish: () => result };
      });
    },
    getBalance: (username, now = Date.now()) => settled(username, now),
    async getLedgerEntry(username, idempotencyKey) {
      const row = (await statement(db, SQL.entryByKey, [username, idempotencyKey]).all<LedgerRow>()).results[0];
      return row ? entryOf(row) : null;
    },
    async listLedger(username, page, now = Date.now()) {
      await settled(username, now);
      const limit = pageLimit(page.limit);
      const rows = (await statement(db, SQL.ledgerPage, [username, numericCursor(page.cursor) ?? MAX_CURSOR, limit]).all<LedgerRow>())
        .results;
      const last = rows.at(-1);
      return { items: rows.map(entryOf), nextCursor: last && last.seq > 1 ? String(last.seq) : null };
    },
    async listGrants(username, now = Date.now()) {
      const { state } = await readWith(db, username, []);
      return state.listGrants(now);
    },
  };
}
