import type { Database, Statement } from 'better-sqlite3';
import { GRANT_SQL } from './grant-sql.js';

/** The SQL of every statement the adapter runs (the D1 adapter runs the same). */
export const SQL = {
  account: 'SELECT balance, last_seq FROM accounts WHERE username = ?',
  upsertAccount: `INSERT INTO accounts (username, balance, last_seq) VALUES (@username, @balance, @seq)
     ON CONFLICT (username) DO UPDATE SET balance = excluded.balance, last_seq = excluded.last_seq`,
  entryByKey: 'SELECT * FROM ledger WHERE username = ? AND idempotency_key = ?',
  insertEntry: `INSERT INTO ledger (username, seq, kind, amount, balance_after, idempotency_key, reference, reason, fingerprint, created_at)
     VALUES (@username, @seq, @kind, @amount, @balance_after, @idempotency_key, @reference, @reason, @fingerprint, @created_at)`,
  ledgerPage: 'SELECT * FROM ledger WHERE username = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
  ...GRANT_SQL,

  batch: 'SELECT * FROM batches WHERE batch_id = ?',
  batchExists: 'SELECT 1 FROM batches WHERE batch_id = ?',
  insertBatch: `INSERT INTO batches (batch_id, username, total_tasks, completed_tasks, failed_tasks, cancelled_tasks, status, created_at, updated_at,
       charge_key)
     VALUES (@batch_id, @username, @total_tasks, @completed_tasks, @failed_tasks, @cancelled_tasks, @status, @created_at, @updated_at,
       @charge_key)`,
  /** The user's `pending` and `processing` tasks: the open tasks of their open batches (index `batches_open_by_user`). */
  tasksWaiting: `SELECT COALESCE(SUM(total_tasks - completed_tasks - failed_tasks - cancelled_tasks), 0) AS waiting
     FROM batches WHERE username = ? AND status <> 'completed'`,
  /** The key of the charge that paid for a task's current attempt: its last retry's, else its batch's. */
  taskChargeKey: `SELECT COALESCE(t.charge_key, b.charge_key) AS charge_key
     FROM tasks t JOIN batches b ON b.batch_id = t.batch_id WHERE t.batch_id = ? AND t.idx = ?`,
  batchPage: `SELECT batch_id, total_tasks, completed_tasks, failed_tasks, cancelled_tasks, status, created_at, updated_at FROM batches
     WHERE username = ? AND created_at < ? ORDER BY created_at DESC LIMIT ?`,
  startBatch: `UPDATE batches SET status = CASE WHEN status = 'pending' THEN 'processing' ELSE status END, updated_at = ? WHERE batch_id = ?`,
  touchBatch: 'UPDATE batches SET updated_at = ? WHERE batch_id = ?',
  /** Bumps one counter and closes the batch when every task has ended; returns the new row. */
  endInBatch: `UPDATE batches SET
       completed_tasks = completed_tasks + @completed,
       failed_tasks = failed_tasks + @failed,
       status = CASE WHEN completed_tasks + failed_tasks + cancelled_tasks + @completed + @failed >= total_tasks THEN 'completed' ELSE status END,
       updated_at = @now
     WHERE batch_id = @batch_id
     RETURNING *`,
  /**
   * SQLite's own pair for the same step (D1 keeps `endInBatch`, which must be one statement): the
   * counter alone, then `closeBatch` only for the task that ends the batch. Most ends then leave
   * `status` alone, so the partial indexes on it (`batches_open`, `batches_open_by_user`) are not
   * touched: 7.3 → 5.0 µs per end measured on an in-memory table.
   */
  countEndInBatch: `UPDATE batches SET
       completed_tasks = completed_tasks + @completed,
       failed_tasks = failed_tasks + @failed,
       updated_at = @now
     WHERE batch_id = @batch_id
     RETURNING *`,
  closeBatch: `UPDATE batches SET status = 'completed' WHERE batch_id = ?`,
  /** Counts cancelled tasks and closes the batch when every task has ended; returns the new row. */
  cancelInBatch: `UPDATE batches SET
       cancelled_tasks = cancelled_tasks + @cancelled,
       status = CASE WHEN completed_tasks + failed_tasks + cancelled_tasks + @cancelled >= total_tasks THEN 'completed' ELSE status END,
       updated_at = @now
     WHERE batch_id = @batch_id
     RETURNING *`,
  reopenBatch: `UPDATE batches SET failed_tasks = failed_tasks - 1, status = 'processing', updated_at = ? WHERE batch_id = ?`,

  tasks: 'SELECT * FROM tasks WHERE batch_id = ? ORDER BY idx',
  task: 'SELECT * FROM tasks WHERE batch_id = ? AND idx = ?',
  insertTask: `INSERT INTO tasks (batch_id, idx, prompt, params, status, progress, result, error, created_at, attempts, started_at, completed_at, provider_request_id, lease_expires_at)
     VALUES (@batch_id, @idx, @prompt, @params, @status, @progress, @result, @error, @created_at, @attempts, @started_at, @completed_at, @provider_request_id, @lease_expires_at)`,
  /** Compare-and-set claim: matches only the expected status (and claim number). */
  claimTask: `UPDATE tasks SET status = 'processing', attempts = attempts + 1, progress = MAX(progress, @progress),
       started_at = @now, lease_expires_at = @lease
     WHERE batch_id = @batch_id AND idx = @idx AND status = @status AND (@attempts IS NULL OR attempts = @attempts)
     RETURNING *`,
  progressTask: `UPDATE tasks SET
       progress = MAX(progress, @progress),
       provider_request_id = CASE WHEN @set_request THEN @request_id ELSE provider_request_id END,
       lease_expires_at = COALESCE(@lease, lease_expires_at)
     WHERE batch_id = @batch_id AND idx = @idx AND status = 'processing' AND attempts = @attempts`,
  completeTask: `UPDATE tasks SET status = 'completed', progress = @progress, result = @result, error = NULL,
       completed_at = @now, lease_expires_at = NULL
     WHERE batch_id = @batch_id AND idx = @idx AND status = 'processing' AND attempts = @attempts
     RETURNING *`,
  failTask: `UPDATE tasks SET status = 'failed', error = @error, completed_at = @now, lease_expires_at = NULL
     WHERE batch_id = @batch_id AND idx = @idx AND status = 'processing' AND attempts = @attempts
     RETURNING *`,
  /** Ends an open task as cancelled (any claim number); returns the row as it was before (status) and after. */
  cancelTask: `UPDATE tasks SET status = 'cancelled', completed_at = @now, lease_expires_at = NULL
     WHERE batch_id = @batch_id AND idx = @idx AND status IN ('pending', 'processing')
     RETURNING *`,
  resetTask: `UPDATE tasks SET status = 'pending', progress = @progress, result = NULL, error = NULL, provider_request_id = NULL,
       lease_expires_at = NULL, completed_at = NULL, charge_key = @charge_key
     WHERE batch_id = @batch_id AND idx = @idx
     RETURNING *`,
  openTasks: `SELECT t.batch_id, b.username, t.idx, t.status, t.attempts, t.lease_expires_at
     FROM batches b INDEXED BY batches_open JOIN tasks t ON t.batch_id = b.batch_id
     WHERE b.status <> 'completed' AND t.status IN ('pending', 'processing')
     ORDER BY b.created_at, b.batch_id, t.idx
     LIMIT ?`,

  record: 'SELECT data FROM records WHERE record_id = ?',
  insertRecord: 'INSERT INTO records (record_id, username, created_at, data) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
  recordPage: 'SELECT data, created_at FROM records WHERE username = ? AND created_at < ? ORDER BY created_at DESC LIMIT ?',

  idempotency: 'SELECT state, fingerprint, response, updated_at, expires_at FROM idempotency WHERE key = ?',
  /** Claims a key that is absent, expired or stale (the caller checked which, in the same transaction). */
  beginIdempotency: `INSERT INTO idempotency (key, state, fingerprint, response, updated_at, expires_at) VALUES (?, 'pending', ?, NULL, ?, NULL)
     ON CONFLICT (key) DO UPDATE SET state = 'pending', fingerprint = excluded.fingerprint, response = NULL, updated_at = excluded.updated_at, expires_at = NULL`,
  completeIdempotency: `UPDATE idempotency SET state = 'done', response = ?, updated_at = ?, expires_at = ? WHERE key = ?`,
  /** Drops a few expired responses; run on each begin so the table does not grow without bound. */
  pruneIdempotency: `DELETE FROM idempotency WHERE key IN (SELECT key FROM idempotency WHERE expires_at <= ? LIMIT 20)`,
  abandonIdempotency: `DELETE FROM idempotency WHERE key = ? AND state = 'pending'`,

  putPending: `INSERT INTO pending_generations (record_id, username, charge_key, started_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (record_id) DO UPDATE SET username = excluded.username, charge_key = excluded.charge_key, started_at = excluded.started_at`,
  deletePending: 'DELETE FROM pending_generations WHERE record_id = ?',
  pendingPage: `SELECT record_id, username, charge_key, started_at FROM pending_generations
     WHERE started_at < ? ORDER BY started_at, record_id LIMIT ?`,
};

/** What the adapter calls on a prepared statement. */
export type PreparedStatement = Pick<Statement, 'run' | 'get' | 'all' | 'source'>;

export type Statements = { readonly [K in keyof typeof SQL]: PreparedStatement };

/** Every statement, prepared once per connection. */
export function prepareStatements(db: Database): Statements {
  return Object.fromEntries(Object.entries(SQL).map(([name, sql]) => [name, prepareInOrder(db, sql)])) as unknown as Statements;
}

/**
 * better-sqlite3 binds each `@name` parameter by looking its name up on the object, on every run:
 * a 7-parameter UPDATE took 4.4 µs that way and 3.45 µs bound in order. So a statement written with
 * names is prepared with `?` in their places (a name used twice fills two), and the object it is
 * called with is read in that order; a missing name still throws. Statements written with `?` are
 * prepared as they are.
 */
export function prepareInOrder(db: Database, sql: string): PreparedStatement {
  const names: string[] = [];
  const text = sql.replace(/@([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => {
    names.push(name);
    return '?';
  });
  if (names.length === 0 || sql.includes('?')) return db.prepare(sql);
  const statement = db.prepare(text);
  const inOrder = (params: Record<string, unknown>): unknown[] => {
    const values = new Array<unknown>(names.length);
    for (let i = 0; i < names.length; i++) {
      const value = params[names[i]!];
      // Bound in order, undefined would be NULL; by name it is an error, and stays one.
      if (value === undefined) throw new RangeError(`Missing named parameter "${names[i]}"`);
      values[i] = value;
    }
    return values;
  };
  return {
    source: sql,
    run: (params: Record<string, unknown>) => statement.run(...inOrder(params)),
    get: (params: Record<string, unknown>) => statement.get(...inOrder(params)),
    all: (params: Record<string, unknown>) => statement.all(...inOrder(params)),
  } as PreparedStatement;
}
