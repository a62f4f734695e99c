import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { InsufficientCreditsError } from '../../../core/errors/insufficient-credits-error.js';
import type {
  IdempotencyState,
  LedgerEntryInput,
  LedgerWriteResult,
  OpenTaskRef,
  StorageAdapter,
  TaskEndResult,
} from '../../../core/ports/storage-adapter.js';
import type { BatchRecord, GenerationRecord } from '../../../core/schemas/records.js';
import {
  assertSameEntry,
  idTaken,
  numericCursor,
  pageLimit,
  retainOf,
  staleAfterOf,
  taskNotFailed,
} from '../../../core/storage-kit/index.js';
import { withBusyRetry } from './busy.js';
import { GroupCommit } from './group-commit.js';
import { batchOf, entryOf, recordOf, summaryOfRow, taskOf, taskRowOf, type BatchRow, type LedgerRow, type TaskRow } from './rows.js';
import { migrate } from './schema.js';
import { prepareStatements } from './statements.js';

export { SCHEMA_VERSION, migrate } from './schema.js';

/** Options of {@link createSqliteStorage}: a file path, or a better-sqlite3 handle you own. */
export type SqliteStorageOptions = ({ path: string; database?: never } | { database: Database; path?: never }) & {
  /**
   * How long one statement waits for another process's write lock before the adapter retries it
   * (SQLite `busy_timeout`). @default 5000
   */
  busyTimeoutMs?: number;
  /** After this long of retrying a busy database, the SQLITE_BUSY error surfaces. @default 60000 */
  giveUpAfterMs?: number;
  /**
   * `normal` keeps every committed write across a crash of the process (WAL); after a power loss
   * the last commits may roll back. `full` syncs the WAL on each commit. @default 'normal'
   */
  synchronous?: 'normal' | 'full';
};

const MAX_CURSOR = Number.MAX_SAFE_INTEGER;

interface IdempotencyRow {
  state: 'pending' | 'done';
  fingerprint: string;
  response: string | null;
  /** When a pending key began; when a done one completed. */
  updated_at: number;
  expires_at: number | null;
}

/**
 * Storage in one SQLite file (better-sqlite3, WAL). Several processes on one host may share the
 * file: every read-then-write runs in `BEGIN IMMEDIATE`, and a busy lock is waited for
 * (`busy_timeout`) and retried, so callers never see SQLITE_BUSY. Tasks are rows keyed by
 * (batch id, index), so a transition writes one task row and its batch's counters.
 *
 * @example
 * const storage = createSqliteStorage({ path: './imagegen.db' });
 */
export function createSqliteStorage(options: SqliteStorageOptions): StorageAdapter {
  const owned = !options.database;
  const db: Database = options.database ?? new BetterSqlite3(options.path!, { timeout: options.busyTimeoutMs ?? 5000 });
  const giveUpMs = options.giveUpAfterMs ?? 60_000;
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  let st: ReturnType<typeof prepareStatements>;
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    openSync(db, options.synchronous ?? 'normal', giveUpMs);
    st = prepareStatements(db);
  } catch (error) {
    if (owned) db.close();
    throw error;
  }

  /** A write: one savepoint in a group-committed `BEGIN IMMEDIATE`, retried while another process holds the lock. */
  const group = new GroupCommit(db, giveUpMs);
  const write = <A extends unknown[], T>(fn: (...args: A) => T) => group.wrap(fn);
  /** A read of several statements from one snapshot. */
  const read = <A extends unknown[], T>(fn: (...args: A) => T) => {
    const tx = db.transaction(fn);
    return (...args: A): Promise<T> => withBusyRetry(() => tx.deferred(...args), giveUpMs);
  };

  function applyEntry(input: LedgerEntryInput, now: number): LedgerWriteResult {
    const existing = st.entryByKey.get(input.username, input.idempotencyKey) as LedgerRow | undefined;
    const account = st.account.get(input.username) as { balance: number; last_seq: number } | undefined;
    const balance = account?.balance ?? 0;
    if (existing) {
      const entry = entryOf(existing);
      assertSameEntry(entry, existing.fingerprint, input);
      return { entry, balance, replayed: true };
    }
    if (input.amount < 0 && balance + input.amount < 0) throw new InsufficientCreditsError(-input.amount, balance);
    const row: LedgerRow = {
      username: input.username,
      seq: (account?.last_seq ?? 0) + 1,
      kind: input.kind,
      amount: input.amount,
      balance_after: balance + input.amount,
      idempotency_key: input.idempotencyKey,
      reference: input.reference ?? null,
      reason: input.reason ?? null,
      fingerprint: input.fingerprint ?? null,
      created_at: now,
    };
    st.upsertAccount.run({ username: input.username, balance: row.balance_after, seq: row.seq });
    st.insertEntry.run(row);
    return { entry: entryOf(row), balance: row.balance_after, replayed: false };
  }

  function loadBatch(batchId: string): BatchRecord | null {
    const row = st.batch.get(batchId) as BatchRow | undefined;
    return row ? batchOf(row, st.tasks.all(batchId) as TaskRow[]) : null;
  }

  function endTask(batchId: string, task: TaskRow | undefined, completed: 0 | 1, now: number): TaskEndResult | null {
    if (!task) return null;
    const batch = st.endInBatch.get({ batch_id: batchId, completed, failed: 1 - completed, now }) as BatchRow;
    const batchCompleted = batch.completed_tasks + batch.failed_tasks === batch.total_tasks;
    return { task: taskOf(task), batch: summaryOfRow(batch), batchCompleted };
  }

  const tx = {
    applyLedgerEntry: write(applyEntry),
    ledgerPage: read((username: string, before: number, limit: number) => ({
      rows: st.ledgerPage.all(username, before, limit) as LedgerRow[],
    })),
    createBatch: write((batch: BatchRecord, charge: LedgerEntryInput, now: number) => {
      const existing = st.entryByKey.get(charge.username, charge.idempotencyKey) as LedgerRow | undefined;
      if (existing) {
        const replay = applyEntry(charge, now);
        const paidFor = loadBatch(existing.reference ?? '');
        if (!paidFor) throw idTaken(existing.reference ?? charge.idempotencyKey);
        return { ...replay, batch: paidFor };
      }
      if (st.batchExists.get(batch.batchId)) throw idTaken(batch.batchId);
      const written = applyEntry({ ...charge, reference: batch.batchId }, now);
      st.insertBatch.run({
        batch_id: batch.batchId,
        username: batch.username,
        total_tasks: batch.totalTasks,
        completed_tasks: batch.completedTasks,
        failed_tasks: batch.failedTasks,
        status: batch.status,
        created_at: batch.createdAt,
        updated_at: batch.updatedAt,
      });
      for (const [idx, task] of batch.tasks.entries()) st.insertTask.run(taskRowOf(batch.batchId, idx, task));
      return { ...written, batch: loadBatch(batch.batchId)! };
    }),
    getBatch: read(loadBatch),
    claimTask: write((batchId: string, index: number, status: string, attempts: number | null, now: number, lease: number) => {
      const row = st.claimTask.get({ batch_id: batchId, idx: index, status, attempts, now, lease }) as TaskRow | undefined;
      if (!row) return null;
      st.startBatch.run(now, batchId);
      return taskOf(row);
    }),
    updateTaskProgress: write(
      (
        batchId: string,
        index: number,
        attempts: number,
        progress: number,
        setRequest: boolean,
        requestId: string | null,
        lease: number | null,
        now: number,
      ) => {
        const changed = st.progressTask.run({
          batch_id: batchId,
          idx: index,
          attempts,
          progress,
          set_request: setRequest ? 1 : 0,
          request_id: requestId,
          lease,
        }).changes;
        if (changed === 0) return false;
        st.touchBatch.run(now, batchId);
        return true;
      },
    ),
    completeTask: write((batchId: string, index: number, attempts: number, result: string, now: number) =>
      endTask(batchId, st.completeTask.get({ batch_id: batchId, idx: index, attempts, result, now }) as TaskRow | undefined, 1, now),
    ),
    failTask: write((batchId: string, index: number, attempts: number, error: string, now: number) =>
      endTask(batchId, st.failTask.get({ batch_id: batchId, idx: index, attempts, error, now }) as TaskRow | undefined, 0, now),
    ),
    retryTask: write((batchId: string, index: number, charge: LedgerEntryInput, now: number) => {
      const existing = st.entryByKey.get(charge.username, charge.idempotencyKey);
      const task = st.task.get(batchId, index) as TaskRow | undefined;
      if (existing) {
        const replay = applyEntry(charge, now);
        if (!task) throw taskNotFailed(`${batchId}:${index}`, 'missing');
        return { ...replay, task: taskOf(task) };
      }
      if (!task) throw taskNotFailed(`${batchId}:${index}`, 'missing');
      if (task.status !== 'failed') throw taskNotFailed(`${batchId}:${index}`, task.status);
      const written = applyEntry({ ...charge, reference: `${batchId}:${index}` }, now);
      const reset = st.resetTask.get(batchId, index) as TaskRow;
      st.reopenBatch.run(now, batchId);
      return { ...written, task: taskOf(reset) };
    }),
    createRecord: write((record: GenerationRecord) => {
      const inserted = st.insertRecord.run(record.recordId, record.username, record.createdAt, JSON.stringify(record)).changes;
      if (inserted === 0) throw idTaken(record.recordId);
    }),
    beginIdempotent: write((key: string, fingerprint: string, now: number, staleAfterMs: number | null): IdempotencyState => {
      st.pruneIdempotency.run(now);
      const row = st.idempotency.get(key) as IdempotencyRow | undefined;
      const live =
        row &&
        (row.state === 'done'
          ? row.expires_at === null || row.expires_at > now
          : staleAfterMs === null || row.updated_at + staleAfterMs > now);
      if (!live) {
        st.beginIdempotency.run(key, fingerprint, now);
        return { state: 'new' };
      }
      return row.state === 'done'
        ? { state: 'done', fingerprint: row.fingerprint, response: JSON.parse(row.response ?? 'null') as unknown }
        : { state: 'pending', fingerprint: row.fingerprint };
    }),
  };

  const run = <T>(fn: () => T): Promise<T> => withBusyRetry(fn, giveUpMs);

  return {
    name: 'sqlite',

    applyLedgerEntry: (input, now) => tx.applyLedgerEntry(input, now),
    getBalance: (username) => run(() => (st.account.get(username) as { balance: number } | undefined)?.balance ?? 0),
    async getLedgerEntry(username, idempotencyKey) {
      const row = await run(() => st.entryByKey.get(username, idempotencyKey) as LedgerRow | undefined);
      return row ? entryOf(row) : null;
    },
    async listLedger(username, page) {
      const limit = pageLimit(page.limit);
      const { rows } = await tx.ledgerPage(username, numericCursor(page.cursor) ?? MAX_CURSOR, limit);
      const last = rows.at(-1);
      return { items: rows.map(entryOf), nextCursor: last && last.seq > 1 ? String(last.seq) : null };
    },

    createBatch: (batch, charge, now) => tx.createBatch(batch, charge, now),
    getBatch: (batchId) => tx.getBatch(batchId),
    async getTask(batchId, index) {
      const row = await run(() => st.task.get(batchId, index) as TaskRow | undefined);
      return row ? taskOf(row) : null;
    },
    async listBatches(username, page) {
      const limit = pageLimit(page.limit);
      const rows = await run(() => st.batchPage.all(username, numericCursor(page.cursor) ?? MAX_CURSOR, limit + 1) as BatchRow[]);
      const items = rows.slice(0, limit).map(summaryOfRow);
      return { items, nextCursor: rows.length > limit ? String(items.at(-1)!.createdAt) : null };
    },
    claimTask: (batchId, index, claim) =>
      tx.claimTask(
        batchId,
        index,
        claim.expect.status,
        claim.expect.status === 'processing' ? claim.expect.attempts : null,
        claim.now,
        claim.leaseExpiresAt,
      ),
    updateTaskProgress: (batchId, index, attempts, update) =>
      tx.updateTaskProgress(
        batchId,
        index,
        attempts,
        update.progress,
        update.providerRequestId !== undefined,
        update.providerRequestId ?? null,
        update.leaseExpiresAt ?? null,
        update.now,
      ),
    completeTask: (batchId, index, attempts, result, now) => tx.completeTask(batchId, index, attempts, JSON.stringify(result), now),
    failTask: (batchId, index, attempts, error, now) => tx.failTask(batchId, index, attempts, error, now),
    retryTask: (batchId, index, charge, now) => tx.retryTask(batchId, index, charge, now),
    async listOpenTasks(limit) {
      const rows = await run(
        () =>
          st.openTasks.all(Math.max(0, Math.floor(limit))) as Array<{
            batch_id: string;
            username: string;
            idx: number;
            status: 'pending' | 'processing';
            attempts: number;
            lease_expires_at: number | null;
          }>,
      );
      return rows.map(
        (r): OpenTaskRef => ({
          batchId: r.batch_id,
          username: r.username,
          index: r.idx,
          status: r.status,
          attempts: r.attempts,
          leaseExpiresAt: r.lease_expires_at,
        }),
      );
    },

    createRecord: (record) => tx.createRecord(record),
    async getRecord(recordId) {
      const row = await run(() => st.record.get(recordId) as { data: string } | undefined);
      return row ? recordOf(row.data) : null;
    },
    async listRecords(username, page) {
      const limit = pageLimit(page.limit);
      const rows = await run(
        () =>
          st.recordPage.all(username, numericCursor(page.cursor) ?? MAX_CURSOR, limit + 1) as Array<{ data: string; created_at: number }>,
      );
      const items = rows.slice(0, limit);
      return { items: items.map((r) => recordOf(r.data)), nextCursor: rows.length > limit ? String(items.at(-1)!.created_at) : null };
    },

    beginIdempotent: async (key, fingerprint, now, options) => tx.beginIdempotent(key, fingerprint, now, staleAfterOf(options)),
    async completeIdempotent(key, response, now, options) {
      const expiresAt = now + retainOf(options);
      await run(() => st.completeIdempotency.run(JSON.stringify(response ?? null), now, expiresAt, key));
    },
    async abandonIdempotent(key) {
      await run(() => st.abandonIdempotency.run(key));
    },

    async putPendingGeneration(pending) {
      await run(() => st.putPending.run(pending.recordId, pending.username, pending.chargeKey, pending.startedAt));
    },
    async deletePendingGeneration(recordId) {
      await run(() => st.deletePending.run(recordId));
    },
    async listPendingGenerations(startedBefore, limit) {
      const rows = await run(
        () =>
          st.pendingPage.all(startedBefore, Math.max(0, Math.floor(limit))) as Array<{
            record_id: string;
            username: string;
            charge_key: string;
            started_at: number;
          }>,
      );
      return rows.map((r) => ({ recordId: r.record_id, username: r.username, chargeKey: r.charge_key, startedAt: r.started_at }));
    },

    async close() {
      await group.drain();
      if (owned && db.open) db.close();
    },
  };
}

/** Pragmas and migrations on open, retried like any write while another process holds the lock. */
function openSync(db: Database, synchronous: 'normal' | 'full', giveUpMs: number): void {
  const started = Date.now();
  for (;;) {
    try {
      if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      db.pragma('foreign_keys = ON');
      migrate(db);
      return;
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      if (!code.startsWith('SQLITE_BUSY') || Date.now() - started > giveUpMs) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10 + Math.random() * 20);
    }
  }
}
