import type { PoolClient } from 'pg';
import type { Database, Queryable } from './database.js';
import { TASK_COLUMNS, type TaskRow } from './rows.js';

/** One task transition as the task store asks for it. */
export type TaskWrite =
  | { kind: 'claim'; batchId: string; index: number; status: string; attempts: number | null; now: number; lease: number; progress: number }
  | {
      kind: 'progress';
      batchId: string;
      index: number;
      attempts: number;
      progress: number;
      setRequest: boolean;
      requestId: string | null;
      lease: number | null;
      now: number;
    }
  | { kind: 'complete'; batchId: string; index: number; attempts: number; result: unknown; progress: number; now: number }
  | { kind: 'fail'; batchId: string; index: number; attempts: number; error: string; now: number };

/** A task row that an ending transition wrote, with its batch after the statement and whether this write closed it. */
export type EndedRow = TaskRow & {
  b_username: string;
  total_tasks: number;
  completed_tasks: number;
  failed_tasks: number;
  cancelled_tasks: number;
  b_status: string;
  b_created_at: string;
  b_updated_at: string;
  closed_batch: boolean;
};

/** What each kind of write answers: the claimed row, whether the progress was written, the ended row; null when the task was not as expected. */
export type TaskWriteResult = TaskRow | EndedRow | boolean | null;

/** The record column of each write field, worked out once per name (a regex per field per write cost 1.5 µs a write). */
const COLUMNS = new Map<string, string>([
  ['batchId', 'batch_id'],
  ['index', 'idx'],
]);

function columnOf(field: string): string {
  let column = COLUMNS.get(field);
  if (column === undefined) {
    column = field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    COLUMNS.set(field, column);
  }
  return column;
}

/** The columns a progress write's answer leaves out. */
const HEAVY = new Set(['prompt', 'params', 'result', 'error', 'provider_request_id']);

/**
 * Writes many task transitions in one statement: the writes arrive as one JSON array
 * (`jsonb_to_recordset`), and each is still a compare-and-set on its own row (`UPDATE ... FROM`
 * matching status and attempts; a claim its expected status, every other write `processing`).
 * Each batch row moves once, by the sum of its tasks' changes, and the last write that ends a
 * batch's tasks says it closed the batch. A task named twice goes into a second round (a second
 * statement), so a statement changes a row at most once and a later write sees the earlier one,
 * as if they ran one after another.
 */
export function createTaskWrites(db: Database) {
  const tasks = db.table('tasks');
  const batches = db.table('batches');
  const ends = `c.kind IN ('complete', 'fail')`;
  // A progress write answers only whether it matched: its row comes back without the task's text and JSON.
  const ANSWER_COLUMNS = TASK_COLUMNS.split(', ')
    .map((col) => (HEAVY.has(col) ? `CASE WHEN t.kind = 'progress' THEN NULL ELSE t.${col} END AS ${col}` : `t.${col}`))
    .join(', ');
  // $1 the writes, $2 how many. The always-true range on `n` makes the planner expect about one
  // write, so every plan — the generic plan of a prepared statement too, made while the tables are
  // still small — looks each row up by primary key: with a larger guess, a plan made on a small
  // table scans it whole (a hash join) and keeps doing so as it grows. Both guesses are the same
  // with or without the values, so the generic plan is kept and the statement is not planned
  // again on every run. Progress values come with each write, from core.
  const SQL = `WITH t AS (
      UPDATE ${tasks} t SET
        status = CASE c.kind WHEN 'claim' THEN 'processing' WHEN 'complete' THEN 'completed' WHEN 'fail' THEN 'failed' ELSE t.status END,
        attempts = CASE WHEN c.kind = 'claim' THEN t.attempts + 1 ELSE t.attempts END,
        progress = CASE c.kind
          WHEN 'claim' THEN GREATEST(t.progress, c.progress)
          WHEN 'progress' THEN GREATEST(t.progress, c.progress)
          WHEN 'complete' THEN c.progress
          ELSE t.progress END,
        started_at = CASE WHEN c.kind = 'claim' THEN c.now ELSE t.started_at END,
        lease_expires_at = CASE c.kind WHEN 'claim' THEN c.lease WHEN 'progress' THEN COALESCE(c.lease, t.lease_expires_at) ELSE NULL END,
        provider_request_id = CASE WHEN c.kind = 'progress' AND c.set_request THEN c.request_id ELSE t.provider_request_id END,
        result = CASE WHEN c.kind = 'complete' THEN c.result ELSE t.result END,
        error = CASE c.kind WHEN 'complete' THEN NULL WHEN 'fail' THEN c.error ELSE t.error END,
        completed_at = CASE WHEN ${ends} THEN c.now ELSE t.completed_at END
      FROM (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(n INTEGER, kind TEXT, batch_id TEXT COLLATE "C", idx INTEGER,
          status TEXT, attempts INTEGER, now BIGINT, lease BIGINT, progress INTEGER, set_request BOOLEAN, request_id TEXT,
          result JSONB, error TEXT)
        WHERE x.n >= 0 AND x.n < $2::integer) AS c
      WHERE t.batch_id = c.batch_id AND t.idx = c.idx
        AND CASE WHEN c.kind = 'claim' THEN t.status = c.status AND (c.attempts IS NULL OR t.attempts = c.attempts)
          ELSE t.status = 'processing' AND t.attempts = c.attempts END
      RETURNING ${TASK_COLUMNS.split(', ')
        .map((col) => `t.${col}`)
        .join(', ')}, c.n, c.kind, c.now AS at
    ), per_batch AS (
      SELECT batch_id, count(*) FILTER (WHERE kind = 'complete')::integer AS done, count(*) FILTER (WHERE kind = 'fail')::integer AS failed,
        bool_or(kind = 'claim') AS claimed, max(at) AS at, max(n) FILTER (WHERE kind IN ('complete', 'fail')) AS last_end
      FROM t GROUP BY batch_id
    ), b AS (
      UPDATE ${batches} b SET
        completed_tasks = b.completed_tasks + p.done,
        failed_tasks = b.failed_tasks + p.failed,
        status = CASE
          WHEN p.done + p.failed > 0 AND b.completed_tasks + b.failed_tasks + b.cancelled_tasks + p.done + p.failed >= b.total_tasks THEN 'completed'
          WHEN p.claimed AND b.status = 'pending' THEN 'processing'
          ELSE b.status END,
        updated_at = p.at
      FROM per_batch p WHERE b.batch_id = p.batch_id
      RETURNING b.*, p.last_end
    )
    SELECT ${ANSWER_COLUMNS}, t.n, b.username AS b_username, b.total_tasks, b.completed_tasks, b.failed_tasks, b.cancelled_tasks, b.status AS b_status,
      b.created_at AS b_created_at, b.updated_at AS b_updated_at,
      (t.n = b.last_end AND b.status = 'completed') AS closed_batch
    FROM t JOIN b ON b.batch_id = t.batch_id`;

  /** The JSON object of one write, as the statement's record columns name it. */
  function recordOf(n: number, w: TaskWrite): Record<string, unknown> {
    const fields: Record<string, unknown> = { n };
    for (const key in w) fields[columnOf(key)] = w[key as keyof TaskWrite];
    return fields;
  }

  /** One statement for writes that each name a different task; answers in their order. */
  async function runRound(writes: TaskWrite[], on: Queryable): Promise<TaskWriteResult[]> {
    const params = [JSON.stringify(writes.map((w, n) => recordOf(n, w))), writes.length];
    const rows = await db.query<EndedRow & { n: number }>(SQL, params, on);
    const byN = new Map(rows.map((row) => [row.n, row]));
    return writes.map((w, n) => {
      const row = byN.get(n);
      if (w.kind === 'progress') return row !== undefined;
      return row ?? null;
    });
  }

  /** The writes in rounds: each round names a task at most once, and keeps the order writes of one task came in. */
  function roundsOf(writes: TaskWrite[]): Array<Array<{ write: TaskWrite; at: number }>> {
    const rounds: Array<Array<{ write: TaskWrite; at: number }>> = [];
    const seen = new Map<string, number>();
    for (const [at, write] of writes.entries()) {
      const key = `${write.batchId}\u0000${write.index}`;
      const round = seen.get(key) ?? 0;
      seen.set(key, round + 1);
      if (!rounds[round]) rounds[round] = [];
      rounds[round].push({ write, at });
    }
    return rounds;
  }

  /**
   * Writes every transition, one statement per round (on `on`, inside the caller's transaction
   * when there is more than one round), and answers in the order given.
   */
  async function writeAll(writes: TaskWrite[], on: Queryable | PoolClient): Promise<TaskWriteResult[]> {
    const results: TaskWriteResult[] = new Array(writes.length);
    for (const round of roundsOf(writes)) {
      const answers = await runRound(
        round.map((item) => item.write),
        on,
      );
      for (const [i, item] of round.entries()) results[item.at] = answers[i]!;
    }
    return results;
  }

  /** How many statements {@link writeAll} sends for these writes (one alone needs no transaction). */
  const statementsFor = (writes: TaskWrite[]): number => roundsOf(writes).length;

  return { writeAll, statementsFor };
}

export type TaskWrites = ReturnType<typeof createTaskWrites>;
