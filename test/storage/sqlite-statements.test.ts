import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { prepareInOrder } from '../../src/adapters/storage/sqlite/statements.js';

describe('SQLite statements written with @names, bound in order', () => {
  const db = new BetterSqlite3(':memory:');
  db.exec('CREATE TABLE t (a INTEGER, b TEXT, c INTEGER)');

  it('binds each name where it stands, a name used twice in both places, and ignores extra keys', () => {
    const insert = prepareInOrder(db, 'INSERT INTO t (a, b, c) VALUES (@a, @b, @a + @c)');
    insert.run({ b: 'x', c: 10, a: 1, unused: 'y' });
    expect(db.prepare('SELECT a, b, c FROM t').all()).toEqual([{ a: 1, b: 'x', c: 11 }]);
    const pick = prepareInOrder(db, 'SELECT b FROM t WHERE a = @a AND (@c IS NULL OR c = @c)');
    expect(pick.get({ a: 1, c: null })).toEqual({ b: 'x' });
    expect(pick.all({ a: 1, c: 11 })).toEqual([{ b: 'x' }]);
    expect(pick.get({ a: 1, c: 12 })).toBeUndefined();
    expect(pick.source).toBe('SELECT b FROM t WHERE a = @a AND (@c IS NULL OR c = @c)');
  });

  it('throws on a missing name, as binding by name does, instead of writing NULL', () => {
    const insert = prepareInOrder(db, 'INSERT INTO t (a, b, c) VALUES (@a, @b, @c)');
    expect(() => insert.run({ a: 2, b: 'z' })).toThrow('Missing named parameter "c"');
    expect(db.prepare('SELECT count(*) AS n FROM t WHERE a = 2').get()).toEqual({ n: 0 });
  });

  it('prepares a statement written with ? as it is', () => {
    const pick = prepareInOrder(db, 'SELECT b FROM t WHERE a = ?');
    expect(pick.get(1)).toEqual({ b: 'x' });
  });
});
