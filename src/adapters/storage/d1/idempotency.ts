import type { IdempotencyStore } from '../../../core/ports/storage-adapter.js';
import { retainOf, staleAfterOf } from '../../../core/storage-kit/index.js';
import { SQL } from '../sqlite/statements.js';
import type { D1Database } from './d1-types.js';
import { statement } from './sql.js';

/**
 * Claims a key that is absent, expired or (with a staleness window) stale: the upsert's WHERE is
 * the SQLite adapter's liveness check negated, so the claim is one statement and `changes()` says
 * whether this caller got it.
 */
const BEGIN = `INSERT INTO idempotency (key, state, fingerprint, response, updated_at, expires_at) VALUES (@key, 'pending', @fingerprint, NULL, @now, NULL)
  ON CONFLICT (key) DO UPDATE SET state = 'pending', fingerprint = excluded.fingerprint, response = NULL, updated_at = excluded.updated_at, expires_at = NULL
  WHERE (idempotency.state = 'done' AND idempotency.expires_at IS NOT NULL AND idempotency.expires_at <= @now)
     OR (idempotency.state = 'pending' AND @stale IS NOT NULL AND idempotency.updated_at + @stale <= @now)`;
const STATE = 'SELECT changes() AS claimed, state, fingerprint, response FROM idempotency WHERE key = ?';

interface StateRow {
  claimed: number;
  state: 'pending' | 'done';
  fingerprint: string;
  response: string | null;
}

/** Idempotency keys of requests on D1: the `idempotency` table, pruned a little on each begin. */
export function d1Idempotency(db: D1Database): IdempotencyStore {
  return {
    async beginIdempotent(key, fingerprint, now, options) {
      const stale = staleAfterOf(options);
      const [, , read] = await db.batch([
        statement(db, SQL.pruneIdempotency, [now]),
        statement(db, BEGIN, { key, fingerprint, now, stale }),
        statement(db, STATE, [key]),
      ]);
      const row = read!.results[0] as unknown as StateRow;
      if (row.claimed > 0) return { state: 'new' };
      return row.state === 'done'
        ? { state: 'done', fingerprint: row.fingerprint, response: JSON.parse(row.response ?? 'null') as unknown }
        : { state: 'pending', fingerprint: row.fingerprint };
    },
    async completeIdempotent(key, response, now, options) {
      const expiresAt = now + retainOf(options);
      await statement(db, SQL.completeIdempotency, [JSON.stringify(response ?? null), now, expiresAt, key]).run();
    },
    async abandonIdempotent(key) {
      await statement(db, SQL.abandonIdempotency, [key]).run();
    },
  };
}
