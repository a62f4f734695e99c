import type { IdempotencyState, IdempotencyStore } from '../../../core/ports/storage-adapter.js';
import { retainOf, staleAfterOf } from '../../../core/storage-kit/index.js';
import type { SqliteContext } from './connection.js';

interface IdempotencyRow {
  state: 'pending' | 'done';
  fingerprint: string;
  response: string | null;
  /** When a pending key began; when a done one completed. */
  updated_at: number;
  expires_at: number | null;
}

/** Idempotency keys of requests: the `idempotency` table, pruned a little on each begin. */
export function sqliteIdempotency(cx: SqliteContext): IdempotencyStore {
  const { st, run } = cx;
  const begin = cx.write((key: string, fingerprint: string, now: number, staleAfterMs: number | null): IdempotencyState => {
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
  });
  return {
    beginIdempotent: async (key, fingerprint, now, options) => begin(key, fingerprint, now, staleAfterOf(options)),
    async completeIdempotent(key, response, now, options) {
      const expiresAt = now + retainOf(options);
      await run(() => st.completeIdempotency.run(JSON.stringify(response ?? null), now, expiresAt, key));
    },
    async abandonIdempotent(key) {
      await run(() => st.abandonIdempotency.run(key));
    },
  };
}
