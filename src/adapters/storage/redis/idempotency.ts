import type { IdempotencyState, IdempotencyStore } from '../../../core/ports/storage-adapter.js';
import { retainOf, staleAfterOf } from '../../../core/storage-kit/index.js';
import type { RedisContext } from './context.js';
import { SCRIPTS } from './scripts/index.js';

/** A pending idempotency key lives in Redis at least this long (twice its staleness when longer). */
const MIN_PENDING_TTL_MS = 60 * 60 * 1000;

/** Idempotency keys of requests: one hash each, expired by Redis once its response is no longer replayed. */
export function redisIdempotency({ keys, call }: RedisContext): IdempotencyStore {
  return {
    async beginIdempotent(key, fingerprint, now, options): Promise<IdempotencyState> {
      const staleAfterMs = staleAfterOf(options);
      // Redis drops an abandoned pending key well after any caller would have taken it over.
      const pendingTtl = staleAfterMs === null ? '' : Math.max(2 * staleAfterMs, MIN_PENDING_TTL_MS);
      const reply = await call<Array<string | null>>(
        SCRIPTS.beginIdempotent,
        [keys.idempotency(key)],
        [fingerprint, now, staleAfterMs ?? '', pendingTtl],
      );
      if (reply[0] === 'new') return { state: 'new' };
      if (reply[0] === 'done') return { state: 'done', fingerprint: reply[1]!, response: JSON.parse(reply[2] ?? 'null') as unknown };
      return { state: 'pending', fingerprint: reply[1]! };
    },
    async completeIdempotent(key, response, now, options) {
      const retainMs = retainOf(options);
      await call(SCRIPTS.completeIdempotent, [keys.idempotency(key)], [JSON.stringify(response ?? null), now + retainMs, retainMs]);
    },
    async abandonIdempotent(key) {
      await call(SCRIPTS.abandonIdempotent, [keys.idempotency(key)], []);
    },
  };
}
