import { sleep } from '../../../core/util/sleep.js';
import type { D1Database, D1PreparedStatement, D1Result } from './d1-types.js';
import { type Params, statement } from './sql.js';

/**
 * D1 has no interactive transactions: a batch is the only transaction. A step's preconditions go
 * into the batch as guard statements, each inserting its condition into this table, whose CHECK
 * fails on false: the batch then rolls back whole, and the step reads again and re-plans. The
 * batch's last statement empties the table, so it never holds a row between batches.
 */
export const GUARD_TABLE_SQL = `CREATE TABLE IF NOT EXISTS imagegen_guard (
  ok INTEGER NOT NULL CONSTRAINT imagegen_guard CHECK (ok = 1)
)`;

const CLEAR = 'DELETE FROM imagegen_guard';

/** A statement that rolls back the batch it is in unless `condition` (an SQL expression) is true; no row (NULL) counts as false. */
export function guard(db: D1Database, condition: string, params: Params = []): D1PreparedStatement {
  return statement(db, `INSERT INTO imagegen_guard (ok) VALUES (COALESCE((${condition}), 0))`, params);
}

/** True for the error of a batch that a guard rolled back. */
export function isGuardFailure(error: unknown): boolean {
  const text = `${(error as Error | null)?.message ?? ''} ${((error as { cause?: Error } | null)?.cause as Error | undefined)?.message ?? ''}`;
  return text.includes('CHECK constraint failed: imagegen_guard');
}

/**
 * Runs `guards` then `writes` in one batch. Returns the writes' results, or null when a guard
 * failed and nothing was written.
 */
export async function runGuarded(db: D1Database, guards: D1PreparedStatement[], writes: D1PreparedStatement[]): Promise<D1Result[] | null> {
  const batch = guards.length > 0 ? [...guards, ...writes, db.prepare(CLEAR)] : writes;
  try {
    const results = await db.batch(batch);
    return results.slice(guards.length, guards.length + writes.length);
  } catch (error) {
    if (isGuardFailure(error)) return null;
    throw error;
  }
}

/** What one round of a step decided: a result without writing, or a guarded batch and how to read its results. */
export type Round<T> =
  | { done: T; finish?: never }
  | { done?: never; guards: D1PreparedStatement[]; writes: D1PreparedStatement[]; finish: (results: D1Result[]) => T };

/** How many times a step re-reads after its guard failed before it gives up. */
const MAX_ROUNDS = 500;

/**
 * Optimistic step: `plan` reads (a read-only batch is one snapshot), decides and returns the
 * batch to write with the guards that say the snapshot still holds. A failed guard means
 * another writer got there first: wait a little and plan again from a fresh read.
 */
export async function guardedStep<T>(db: D1Database, plan: () => Promise<Round<T>>): Promise<T> {
  for (let round = 0; ; round++) {
    const decided = await plan();
    if (!decided.finish) return decided.done as T;
    const results = await runGuarded(db, decided.guards, decided.writes);
    if (results) return decided.finish(results);
    if (round >= MAX_ROUNDS) throw new Error(`imagegen-kit: a D1 step lost to concurrent writers ${MAX_ROUNDS} times in a row`);
    await sleep(Math.min(20, 1 + round) * Math.random());
  }
}
