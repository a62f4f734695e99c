import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/adapters/storage/sqlite/group-commit.js';

describe('SQLite group commit', () => {
  let dir: string;
  let db: BetterSqlite3.Database;
  let commits: number;
  let group: GroupCommit;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'igk-group-'));
    db = new BetterSqlite3(join(dir, 'db.sqlite'));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)');
    commits = 0;
    group = new GroupCommit(db, 1_000, () => commits++);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rows = () => db.prepare('SELECT k, v FROM t ORDER BY k').all();
  const insert = (k: string, v: number) => db.prepare('INSERT INTO t (k, v) VALUES (?, ?)').run(k, v);

  it('commits the writes started in one turn together, in order, each answering its own value', async () => {
    const put = group.wrap((k: string, v: number) => {
      insert(k, v);
      return (db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
    });
    const answers = await Promise.all([put('a', 1), put('b', 2), put('c', 3)]);
    expect(answers).toEqual([1, 2, 3]);
    expect(rows()).toEqual([
      { k: 'a', v: 1 },
      { k: 'b', v: 2 },
      { k: 'c', v: 3 },
    ]);
    expect(commits).toBe(1);
  });

  it('rolls back only the write that threw, half done, and rejects only its caller', async () => {
    const put = group.wrap((k: string, v: number) => insert(k, v).changes);
    // Writes one row, then fails on a second: its first row must not survive.
    const halfDone = group.wrap((k: string) => {
      insert(k, 10);
      insert('a', 11);
    });
    const results = await Promise.allSettled([put('a', 1), halfDone('h'), put('b', 2)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE constraint failed/);
    expect(rows()).toEqual([
      { k: 'a', v: 1 },
      { k: 'b', v: 2 },
    ]);
    expect(commits).toBe(1);
  });

  it('runs each write once when none throws, and the whole group again (isolated) when one does', async () => {
    let runs = 0;
    const put = group.wrap((k: string, v: number) => {
      runs++;
      return insert(k, v).changes;
    });
    await Promise.all([put('a', 1), put('b', 2), put('c', 3)]);
    expect(runs).toBe(3);
    runs = 0;
    const results = await Promise.allSettled([put('d', 4), put('a', 5), put('e', 6)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    // d, then a (throws, the transaction rolls back), then d, a and e each in its own savepoint.
    expect(runs).toBe(5);
    expect(rows()).toEqual([
      { k: 'a', v: 1 },
      { k: 'b', v: 2 },
      { k: 'c', v: 3 },
      { k: 'd', v: 4 },
      { k: 'e', v: 6 },
    ]);
  });

  it('rejects a lone write that threw, with nothing of it written', async () => {
    const halfDone = group.wrap((k: string) => {
      insert(k, 10);
      throw new Error('refused after writing');
    });
    await expect(halfDone('x')).rejects.toThrow('refused after writing');
    expect(rows()).toEqual([]);
    const put = group.wrap((k: string, v: number) => insert(k, v).changes);
    await expect(put('y', 1)).resolves.toBe(1);
    expect(rows()).toEqual([{ k: 'y', v: 1 }]);
  });
});
