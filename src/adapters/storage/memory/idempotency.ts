import type { IdempotencyStore } from '../../../core/ports/storage-adapter.js';
import { retainOf, staleAfterOf } from '../../../core/storage-kit/index.js';

/** A claimed idempotency key: pending since `startedAt`, or done and replayed until `expiresAt`. */
type StoredIdempotency =
  | { state: 'pending'; fingerprint: string; startedAt: number }
  | { state: 'done'; fingerprint: string; response: unknown; expiresAt: number };

/** Expired responses are swept from memory at most this often (of the callers' clock). */
const SWEEP_EVERY_MS = 60_000;

/** Idempotency keys of requests in memory. */
export function memoryIdempotency(): IdempotencyStore {
  const idempotent = new Map<string, StoredIdempotency>();
  let nextSweepAt = -Infinity;
  return {
    async beginIdempotent(key, fingerprint, now, options) {
      const staleAfterMs = staleAfterOf(options);
      if (now >= nextSweepAt) {
        nextSweepAt = now + SWEEP_EVERY_MS;
        for (const [k, stored] of idempotent) if (stored.state === 'done' && stored.expiresAt <= now) idempotent.delete(k);
      }
      const stored = idempotent.get(key);
      const live =
        stored && (stored.state === 'done' ? stored.expiresAt > now : staleAfterMs === null || stored.startedAt + staleAfterMs > now);
      if (live) {
        return stored.state === 'done'
          ? { state: 'done', fingerprint: stored.fingerprint, response: stored.response }
          : { state: 'pending', fingerprint: stored.fingerprint };
      }
      idempotent.set(key, { state: 'pending', fingerprint, startedAt: now });
      return { state: 'new' };
    },
    async completeIdempotent(key, response, now, options) {
      const expiresAt = now + retainOf(options);
      const stored = idempotent.get(key);
      if (stored) idempotent.set(key, { state: 'done', fingerprint: stored.fingerprint, response, expiresAt });
    },
    async abandonIdempotent(key) {
      if (idempotent.get(key)?.state === 'pending') idempotent.delete(key);
    },
  };
}
