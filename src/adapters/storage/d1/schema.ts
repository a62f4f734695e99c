import { MIGRATIONS, SCHEMA_VERSION } from '../sqlite/schema.js';
import type { D1Database } from './d1-types.js';
import { GUARD_TABLE_SQL, guard, runGuarded } from './guard.js';

export { SCHEMA_VERSION };

/** D1 keeps no `PRAGMA user_version` a Worker may set, so the version lives in a one-row table. */
const VERSION_TABLE_SQL = `CREATE TABLE IF NOT EXISTS imagegen_schema (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
)`;

/** One SQLite migration's statements: D1 prepares one statement at a time. */
const statementsOf = (migration: string): string[] =>
  migration
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/**
 * Brings the database to the SQLite adapter's schema (the same tables, indexes and migrations):
 * each migration is one batch guarded by the version it starts from, so Workers starting at once
 * apply it once. Stops at `target` when given (for tests of an upgrade). Throws when the database
 * was written by a newer version of this library.
 */
export async function migrateD1(db: D1Database, target: number = SCHEMA_VERSION): Promise<number> {
  await db.batch([
    db.prepare(VERSION_TABLE_SQL),
    db.prepare(GUARD_TABLE_SQL),
    db.prepare('INSERT INTO imagegen_schema (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING'),
  ]);
  for (;;) {
    const row = (await db.prepare('SELECT version FROM imagegen_schema WHERE id = 1').all<{ version: number }>()).results[0];
    const current = row?.version ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new Error(
        `imagegen-kit: the D1 database has schema version ${current}, newer than this library's ${SCHEMA_VERSION}; upgrade imagegen-kit`,
      );
    }
    if (current >= target) return current;
    // A concurrent migrator that got there first makes the guard fail; read the version again.
    await runGuarded(
      db,
      [guard(db, '(SELECT version FROM imagegen_schema WHERE id = 1) = ?', [current])],
      [
        ...statementsOf(MIGRATIONS[current]!).map((sql) => db.prepare(sql)),
        db.prepare('UPDATE imagegen_schema SET version = ? WHERE id = 1').bind(current + 1),
      ],
    );
  }
}
