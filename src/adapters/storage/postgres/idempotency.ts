import type { BeginIdempotentOptions, CompleteIdempotentOptions, IdempotencyState } from '../../../core/ports/storage-adapter.js';
import { retainOf, staleAfterOf } from '../../../core/storage-kit/index.js';
import type { Database } from './database.js';

/**
 * Idempotency keys of requests. Beginning one is one transaction: an upsert claims the key when it
 * is absent, expired or stale, and otherwise (ON CONFLICT DO UPDATE locks the row even when its
 * WHERE says no) the stored state is read under that lock. Of concurrent callers exactly one
 * claims the key; the others wait for its commit and see it pending.
 */
export function createIdempotency(db: Database) {
  const idempotency = db.table('idempotency');
  const SQL = {
    /** Drops a few expired responses on each begin, so the table does not grow without bound. */
    prune: `DELETE FROM ${idempotency} WHERE key IN (
        SELECT key FROM ${idempotency} WHERE expires_at <= $1 LIMIT 20 FOR UPDATE SKIP LOCKED
      )`,
    claim: `INSERT INTO ${idempotency} AS i (key, state, fingerprint, response, updated_at, expires_at)
      VALUES ($1, 'pending', $2, NULL, $3, NULL)
      ON CONFLICT (key) DO UPDATE SET state = 'pending', fingerprint = EXCLUDED.fingerprint, response = NULL,
        updated_at = EXCLUDED.updated_at, expires_at = NULL
      WHERE (i.state = 'done' AND i.expires_at <= EXCLUDED.updated_at)
        OR (i.state = 'pending' AND $4::bigint IS NOT NULL AND i.updated_at + $4::bigint <= EXCLUDED.updated_at)`,
    read: `SELECT state, fingerprint, response FROM ${idempotency} WHERE key = $1`,
    complete: `UPDATE ${idempotency} SET state = 'done', response = $2, updated_at = $3, expires_at = $4 WHERE key = $1`,
    abandon: `DELETE FROM ${idempotency} WHERE key = $1 AND state = 'pending'`,
  };

  return {
    async beginIdempotent(key: string, fingerprint: string, now: number, options?: BeginIdempotentOptions): Promise<IdempotencyState> {
      const staleAfterMs = staleAfterOf(options);
      return db.transaction(async (client): Promise<IdempotencyState> => {
        await db.execute(SQL.prune, [now], client);
        if ((await db.execute(SQL.claim, [key, fingerprint, now, staleAfterMs], client)) > 0) return { state: 'new' };
        const row = (
          await db.query<{ state: 'pending' | 'done'; fingerprint: string; response: string | null }>(SQL.read, [key], client)
        )[0]!;
        return row.state === 'done'
          ? { state: 'done', fingerprint: row.fingerprint, response: JSON.parse(row.response ?? 'null') as unknown }
          : { state: 'pending', fingerprint: row.fingerprint };
      });
    },
    async completeIdempotent(key: string, response: unknown, now: number, options?: CompleteIdempotentOptions): Promise<void> {
      const expiresAt = now + retainOf(options);
      await db.execute(SQL.complete, [key, JSON.stringify(response ?? null), now, expiresAt]);
    },
    async abandonIdempotent(key: string): Promise<void> {
      await db.execute(SQL.abandon, [key]);
    },
  };
}
