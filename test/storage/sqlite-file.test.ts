import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStorage, migrate, SCHEMA_VERSION } from '../../src/adapters/storage/sqlite/index.js';
import { prepareStatements } from '../../src/adapters/storage/sqlite/statements.js';
import { FAILED_ORDER, FAILED_SELECT } from '../../src/adapters/storage/sqlite/admin-queries.js';
import { charge, claimPending, grant, journalSum, makeBatch, tick } from '../../src/adapter-kit/index.js';
import { PROGRESS } from '../../src/core/policy/progress.js';

const dir = mkdtempSync(join(tmpdir(), 'igk-sqlite-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = () => join(dir, `t${++n}.db`);

describe('SQLite storage on a file', () => {
  it('keeps balances, journal, batches, task states, records and idempotency keys when reopened', async () => {
    const path = file();
    const first = createSqliteStorage({ path });
    await first.applyLedgerEntry(grant('alice', 10, 'g'), tick());
    const ts = tick();
    await first.createBatch(makeBatch('alice', ts, ['a', 'b']), charge('alice', 2, 'buy'), ts);
    const batchId = `batch:alice:${ts}`;
    const task = await claimPending(first, batchId, 0);
    await first.updateTaskProgress(batchId, 0, task.attempts, { progress: 40, providerRequestId: 'req-0', now: tick() });
    await first.completeTask(
      batchId,
      0,
      task.attempts,
      { result: { imageUrl: '/img/0.png', requestId: 'req-0' }, progress: PROGRESS.done },
      tick(),
    );
    const processing = await claimPending(first, batchId, 1);
    const record = {
      recordId: `record:alice:${tick()}`,
      username: 'alice',
      type: 'text_to_image' as const,
      prompt: 'p',
      imageUrl: '/img/r.png',
      requestId: 'r',
      createdAt: tick(),
      aspectRatio: '1:1' as const,
      seed: null,
      imagePromptStrength: null,
    };
    await first.createRecord(record);
    await first.beginIdempotent('alice:k', 'fp', tick());
    await first.completeIdempotent('alice:k', { status: 200 }, tick());
    const before = await first.getBatch(batchId);
    await first.close();

    const again = createSqliteStorage({ path });
    expect(await again.getBalance('alice')).toBe(8);
    expect(await journalSum(again, 'alice')).toEqual({ sum: 8, count: 2 });
    expect(await again.getBatch(batchId)).toEqual(before);
    expect(await again.getTask(batchId, 0)).toMatchObject({
      status: 'completed',
      progress: 100,
      providerRequestId: 'req-0',
      result: { imageUrl: '/img/0.png' },
    });
    expect(await again.listOpenTasks(100)).toEqual([
      {
        batchId,
        username: 'alice',
        index: 1,
        status: 'processing',
        attempts: processing.attempts,
        leaseExpiresAt: processing.leaseExpiresAt,
      },
    ]);
    expect(await again.getRecord(record.recordId)).toEqual(record);
    expect(await again.beginIdempotent('alice:k', 'x', tick())).toEqual({ state: 'done', fingerprint: 'fp', response: { status: 200 } });
    const replay = await again.createBatch(makeBatch('alice', tick()), charge('alice', 2, 'buy'), tick());
    expect(replay).toMatchObject({ replayed: true, balance: 8, batch: { batchId } });
    await again.close();
  });

  it('commits writes still queued when it is closed', async () => {
    const path = file();
    const storage = createSqliteStorage({ path });
    const writes = [storage.applyLedgerEntry(grant('hal', 2, 'g1'), tick()), storage.applyLedgerEntry(grant('hal', 3, 'g2'), tick())];
    await storage.close();
    await Promise.all(writes);
    const again = createSqliteStorage({ path });
    expect(await again.getBalance('hal')).toBe(5);
    await again.close();
  });

  it('creates the schema at the current version, in WAL mode', async () => {
    const path = file();
    await createSqliteStorage({ path }).close();
    const db = new BetterSqlite3(path);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('migrates a file written at an older schema version, keeping its data', async () => {
    const path = file();
    const old = new BetterSqlite3(path);
    migrate(old, 1);
    old.prepare(`INSERT INTO accounts (username, balance, last_seq) VALUES ('bob', 0, 0)`).run();
    old.close();

    const storage = createSqliteStorage({ path });
    await storage.applyLedgerEntry(grant('bob', 3, 'g'), tick());
    expect(await storage.getBalance('bob')).toBe(3);
    await storage.close();
    const db = new BetterSqlite3(path);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'batches_open'`).get()).toBeTruthy();
    db.close();
  });

  it('migrates idempotency keys stored before they expired: old responses keep 24 h from completion, old pending keys can go stale', async () => {
    const path = file();
    const old = new BetterSqlite3(path);
    migrate(old, 2);
    const insert = old.prepare('INSERT INTO idempotency (key, state, fingerprint, response, updated_at) VALUES (?, ?, ?, ?, ?)');
    insert.run('ida:done', 'done', 'fp', '{"status":200}', 1_000);
    insert.run('ida:pending', 'pending', 'fp', null, 1_000);
    old.close();

    const storage = createSqliteStorage({ path });
    const day = 24 * 60 * 60 * 1000;
    expect(await storage.beginIdempotent('ida:done', 'fp', 1_000 + day - 1)).toEqual({
      state: 'done',
      fingerprint: 'fp',
      response: { status: 200 },
    });
    expect(await storage.beginIdempotent('ida:done', 'fp', 1_000 + day)).toEqual({ state: 'new' });
    expect(await storage.beginIdempotent('ida:pending', 'fp2', 1_500, { staleAfterMs: 1_000 })).toEqual({
      state: 'pending',
      fingerprint: 'fp',
    });
    expect(await storage.beginIdempotent('ida:pending', 'fp2', 2_000, { staleAfterMs: 1_000 })).toEqual({ state: 'new' });
    await storage.close();
    const db = new BetterSqlite3(path);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
  });

  it('migrates a schema-6 file with a batch in flight: its refunds still work (to the pool), and failed tasks are listed through their index', async () => {
    const path = file();
    const old = new BetterSqlite3(path);
    migrate(old, 6);
    old.exec(`
      INSERT INTO accounts (username, balance, last_seq) VALUES ('dora', 1, 2);
      INSERT INTO ledger (username, seq, kind, amount, balance_after, idempotency_key, reference, created_at)
        VALUES ('dora', 1, 'grant', 3, 3, 'g', NULL, 1), ('dora', 2, 'charge', -2, 1, 'c', 'batch:dora:5', 5);
      INSERT INTO batches (batch_id, username, total_tasks, completed_tasks, failed_tasks, status, created_at, updated_at)
        VALUES ('batch:dora:5', 'dora', 2, 0, 0, 'pending', 5, 5);
      INSERT INTO tasks (batch_id, idx, prompt, params, status, progress, created_at, attempts)
        VALUES ('batch:dora:5', 0, 'a', '{"aspect_ratio":"1:1"}', 'pending', 0, 5, 0),
               ('batch:dora:5', 1, 'b', '{"aspect_ratio":"1:1"}', 'pending', 0, 5, 0);
    `);
    old.close();

    const storage = createSqliteStorage({ path });
    const refund = { amount: 1, keyPrefix: 'refund:cancel:', reason: 'cancelled' };
    const cancelled = await storage.cancelTasks('batch:dora:5', { taskIndex: 0, refundPending: refund, refundProcessing: null, now: 10 });
    expect(cancelled).toMatchObject({ balance: 2, cancelled: [{ refund: { amount: 1, reference: 'batch:dora:5:0' } }] });
    const run = await claimPending(storage, 'batch:dora:5', 1);
    const failed = await storage.failTask('batch:dora:5', 1, run.attempts, 'boom', 20, { ...refund, keyPrefix: 'refund:failed:' });
    expect(failed!.refund).toMatchObject({ balance: 3 });
    expect((await storage.listFailedTasks({})).items).toContainEqual(expect.objectContaining({ batchId: 'batch:dora:5', index: 1 }));
    await storage.close();

    const db = new BetterSqlite3(path);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const plan = (sql: string, ...args: unknown[]) =>
      db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...args)
        .map((r: any) => r.detail)
        .join(' | ');
    expect(plan(`${FAILED_SELECT} WHERE t.status = 'failed' ${FAILED_ORDER}`, 21)).toMatch(/USING INDEX tasks_failed/);
    expect(
      plan(
        `${FAILED_SELECT} WHERE t.status = 'failed' AND (t.completed_at, t.batch_id, t.idx) < (?, ?, ?) ${FAILED_ORDER}`,
        20,
        'b',
        1,
        21,
      ),
    ).toMatch(/USING INDEX tasks_failed/);
    db.close();
  });

  it('prunes expired responses when keys are begun, through the expiry index', async () => {
    const db = new BetterSqlite3(file());
    const storage = createSqliteStorage({ database: db });
    const st = prepareStatements(db);
    expect(
      db
        .prepare(`EXPLAIN QUERY PLAN ${st.pruneIdempotency.source}`)
        .all(1)
        .map((r: any) => r.detail)
        .join(' | '),
    ).toMatch(/USING (COVERING )?INDEX idempotency_expiry/);
    for (let i = 0; i < 5; i++) {
      await storage.beginIdempotent(`old:${i}`, 'fp', 1_000);
      await storage.completeIdempotent(`old:${i}`, i, 1_000, { retainMs: 10 });
    }
    await storage.beginIdempotent('live', 'fp', 1_000);
    await storage.completeIdempotent('live', 'r', 1_000, { retainMs: 1_000 });
    const count = () => (db.prepare('SELECT count(*) AS n FROM idempotency').get() as { n: number }).n;
    expect(count()).toBe(6);
    await storage.beginIdempotent('someone-else', 'fp', 1_010);
    expect(count()).toBe(2); // the live response and the new pending key
    await storage.close();
    db.close();
  });

  it('refuses a file written by a newer schema version, changing nothing', () => {
    const path = file();
    const db = new BetterSqlite3(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => createSqliteStorage({ path })).toThrow(/newer than this library/);
  });

  it('uses a database handle it is given and leaves it open on close', async () => {
    const db = new BetterSqlite3(file());
    const storage = createSqliteStorage({ database: db });
    await storage.applyLedgerEntry(grant('carol', 1, 'g'), tick());
    await storage.close();
    expect(db.open).toBe(true);
    expect(db.prepare('SELECT balance FROM accounts WHERE username = ?').get('carol')).toEqual({ balance: 1 });
    db.close();
  });

  it('answers status, a page of list and recovery through indexes, not by scanning a user’s batches', () => {
    const db = new BetterSqlite3(file());
    createSqliteStorage({ database: db });
    const st = prepareStatements(db);
    const plan = (sql: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array<number>(sql.split('?').length - 1).fill(1)) as Array<{ detail: string }>)
        .map((r) => r.detail)
        .join(' | ');
    expect(plan(st.batch.source)).toMatch(/SEARCH batches USING PRIMARY KEY/);
    expect(plan(st.tasks.source)).toMatch(/SEARCH tasks USING PRIMARY KEY/);
    for (const page of [st.batchPage, st.recordPage, st.ledgerPage]) {
      expect(plan(page.source)).toMatch(/SEARCH (batches|records|ledger) USING (COVERING )?(INDEX (batches|records)_by_user|PRIMARY KEY)/);
      expect(plan(page.source)).not.toMatch(/TEMP B-TREE|SCAN/);
    }
    // Open batches only, oldest first; tasks by primary key (a sort of at most one batch's tasks).
    expect(plan(st.openTasks.source)).toMatch(/SCAN b USING (COVERING )?INDEX batches_open \| SEARCH t USING PRIMARY KEY/);
    db.close();
  });
  it('waits out another connection’s write lock instead of surfacing SQLITE_BUSY', async () => {
    const path = file();
    const storage = createSqliteStorage({ path, busyTimeoutMs: 5 });
    await storage.applyLedgerEntry(grant('gus', 2, 'g'), tick());
    const other = new BetterSqlite3(path);
    other.exec('BEGIN IMMEDIATE');
    const release = setTimeout(() => other.exec('COMMIT'), 150);
    const started = Date.now();
    const written = await storage.applyLedgerEntry(charge('gus', 1, 'c'), tick());
    expect(written.balance).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    clearTimeout(release);
    other.close();
    await storage.close();
  });
});
