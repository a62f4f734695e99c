import type { PoolClient } from 'pg';
import type { Database, Queryable } from './database.js';
import { TASK_COLUMNS, type TaskRow } from './rows.js';

/** One task transition as the task store asks for it. */
export type TaskWrite =
  | { kind: 'claim'; batchId: string; index: number; status: string; attempts: number | null; now: number; lease: number }
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
  | { kind: 'complete'; batchId: string; index: number; attempts: number; result: unknown; now: number }
  | { kind: 'fail'; batchId: string; index: number; attempts: number; error: string; now: number };

/** A task row that an ending transition wrote, with its batch after the statement and whether this write closed it. */
export type EndedRow = TaskRow & {
  b_username: string;
  total_tasks: number;
  completed_tasks: number;
  failed_tasks: number;
  b_status: string;
  b_created_at: string;
  b_updated_at: string;
  closed_batch: boolean;
};

/** What each kind of write answers: the claimed row, whether the progress was written, the ended row; null when the task was not as expected. */
export type TaskWriteResult = TaskRow | EndedRow | boolean | null;

/** The progress values the writes store (from core's policy; see task-store.ts). */
export interface Stages {
  claimed: number;
  runningCeiling: number;
  done: number;
}

const KINDS = ['claim', 'progress', 'complete', 'fail'] as const;

/**
 * Writes many task transitions with one statement per kind: the writes arrive as one JSON array
 * (`jsonb_to_recordset`), and each is still a compare-and-set on its own row (`UPDATE ... FROM`
 * matching status and attempts). The batch rows move once per statement by the sum of their
 * tasks' changes. A task named twice goes into a second round, so each statement changes a row at
 * most once and a later write sees the earlier one, as if they ran one after another.
 */
export function createTaskWrites(db: Database, stages: Stages) {
  const tasks = db.table('tasks');
  const batches = db.table('batches');
  const input = (columns: string) => `jsonb_to_recordset($1::jsonb) AS c(n INTEGER, batch_id TEXT COLLATE "C", idx INTEGER, ${columns})`;
  const ending = (set: string, columns: string, completed: 0 | 1) => `WITH t AS (
      UPDATE ${tasks} t SET ${set}, completed_at = c.now, lease_expires_at = NULL
      FROM ${input(`attempts INTEGER, now BIGINT, ${columns}`)}
      WHERE t.batch_id = ANY($2::text[]) AND t.batch_id = c.batch_id AND t.idx = c.idx AND t.status = 'processing' AND t.attempts = c.attempts
      RETURNING ${TASK_COLUMNS.split(', ')
        .map((col) => `t.${col}`)
        .join(', ')}, c.n, c.now AS at
    ), per_batch AS (
      SELECT batch_id, count(*)::integer AS k, max(at) AS at, max(n) AS last FROM t GROUP BY batch_id
    ), b AS (
      UPDATE ${batches} b SET
        completed_tasks = b.completed_tasks + ${completed} * p.k,
        failed_tasks = b.failed_tasks + ${1 - completed} * p.k,
        status = CASE WHEN b.completed_tasks + b.failed_tasks + p.k >= b.total_tasks THEN 'completed' ELSE b.status END,
        updated_at = p.at
      FROM per_batch p WHERE b.batch_id = ANY($2::text[]) AND b.batch_id = p.batch_id
      RETURNING b.*, p.last
    )
    SELECT t.*, b.username AS b_username, b.total_tasks, b.completed_tasks, b.failed_tasks, b.status AS b_status,
      b.created_at AS b_created_at, b.updated_at AS b_updated_at, (t.n = b.last AND b.status = 'completed') AS closed_batch
    FROM t JOIN b ON b.batch_id = t.batch_id`;

  const SQL = {
    claim: `WITH t AS (
        UPDATE ${tasks} t SET status = 'processing', attempts = t.attempts + 1, progress = GREATEST(t.progress, $3),
          started_at = c.now, lease_expires_at = c.lease
        FROM ${input('status TEXT, attempts INTEGER, now BIGINT, lease BIGINT')}
        WHERE t.batch_id = ANY($2::text[]) AND t.batch_id = c.batch_id AND t.idx = c.idx AND t.status = c.status AND (c.attempts IS NULL OR t.attempts = c.attempts)
        RETURNING t.*, c.n
      ), b AS (
        UPDATE ${batches} b SET status = CASE WHEN b.status = 'pending' THEN 'processing' ELSE b.status END, updated_at = p.at
        FROM (SELECT batch_id, max(started_at) AS at FROM t GROUP BY batch_id) p
        WHERE b.batch_id = ANY($2::text[]) AND b.batch_id = p.batch_id
      )
      SELECT * FROM t`,
    progress: `WITH t AS (
        UPDATE ${tasks} t SET
          progress = CASE WHEN c.progress > t.progress THEN LEAST(c.progress, $3) ELSE t.progress END,
          provider_request_id = CASE WHEN c.set_request THEN c.request_id ELSE t.provider_request_id END,
          lease_expires_at = COALESCE(c.lease, t.lease_expires_at)
        FROM ${input('attempts INTEGER, progress INTEGER, set_request BOOLEAN, request_id TEXT, lease BIGINT, now BIGINT')}
        WHERE t.batch_id = ANY($2::text[]) AND t.batch_id = c.batch_id AND t.idx = c.idx AND t.status = 'processing' AND t.attempts = c.attempts
        RETURNING t.batch_id, c.n, c.now
      ), b AS (
        UPDATE ${batches} b SET updated_at = p.at
        FROM (SELECT batch_id, max(now) AS at FROM t GROUP BY batch_id) p
        WHERE b.batch_id = ANY($2::text[]) AND b.batch_id = p.batch_id
      )
      SELECT n FROM t`,
    complete: ending(`status = 'completed', progress = $3, result = c.result, error = NULL`, 'result JSONB', 1),
    fail: ending(`status = 'failed', error = c.error`, 'error TEXT', 0),
  };
  const stageOf = { claim: stages.claimed, progress: stages.runningCeiling, complete: stages.done, fail: null };

  /** The JSON object of one write, as the statement's record columns name it. */
  function recordOf(n: number, w: TaskWrite): Record<string, unknown> {
    const { kind: _kind, batchId, index, ...rest } = w;
    const fields: Record<string, unknown> = { n, batch_id: batchId, idx: index };
    for (const [key, value] of Object.entries(rest)) fields[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = value;
    return fields;
  }

  /** One statement for writes of one kind, each naming a different task; answers in their order. */
  async function runKind(kind: TaskWrite['kind'], writes: TaskWrite[], on: Queryable): Promise<TaskWriteResult[]> {
    // The batch ids again as an array: `= ANY($2)` makes the plan look the rows up by primary key
    // (a join on the JSON records alone may scan the whole table).
    const batchIds = [...new Set(writes.map((w) => w.batchId))];
    const params = [JSON.stringify(writes.map((w, n) => recordOf(n, w))), batchIds, ...(stageOf[kind] === null ? [] : [stageOf[kind]])];
    const rows = await db.query<{ n: number }>(SQL[kind], params, on);
    const byN = new Map(rows.map((row) => [row.n, row]));
    return writes.map((_, n) => {
      const row = byN.get(n);
      if (kind === 'progress') return row !== undefined;
      return (row as TaskRow | EndedRow | undefined) ?? null;
    });
  }

  /**
   * Writes every transition in as few statements as it can (on `client`, inside the caller's
   * transaction, when there is more than one) and answers in the order given.
   */
  async function writeAll(writes: TaskWrite[], on: Queryable | PoolClient): Promise<TaskWriteResult[]> {
    const results: TaskWriteResult[] = new Array(writes.length);
    let remaining = writes.map((write, at) => ({ write, at }));
    while (remaining.length > 0) {
      const seen = new Set<string>();
      const round: typeof remaining = [];
      const later: typeof remaining = [];
      for (const item of remaining) {
        const key = `${item.write.batchId}\u0000${item.write.index}`;
        (seen.has(key) ? later : round).push(item);
        seen.add(key);
      }
      for (const kind of KINDS) {
        const ofKind = round.filter((item) => item.write.kind === kind);
        if (ofKind.length === 0) continue;
        const answers = await runKind(
          kind,
          ofKind.map((item) => item.write),
          on,
        );
        for (const [i, item] of ofKind.entries()) results[item.at] = answers[i]!;
      }
      remaining = later;
    }
    return results;
  }

  /** How many statements {@link writeAll} sends for these writes (one alone needs no transaction). */
  function statementsFor(writes: TaskWrite[]): number {
    const perTask = new Map<string, number>();
    const kinds = new Set<string>();
    for (const w of writes) {
      const key = `${w.batchId}\u0000${w.index}`;
      perTask.set(key, (perTask.get(key) ?? 0) + 1);
      kinds.add(w.kind);
    }
    return Math.max(...perTask.values()) > 1 ? 2 : kinds.size;
  }

  return { writeAll, statementsFor };
}

export type TaskWrites = ReturnType<typeof createTaskWrites>;
