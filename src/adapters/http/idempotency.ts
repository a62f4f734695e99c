import { ConflictError } from '../../core/errors/conflict-error.js';
import { isImageGenError } from '../../core/errors/image-gen-error.js';
import { ValidationError } from '../../core/errors/validation-error.js';
import type { IdempotencyPolicy } from '../../core/options.js';
import type { StorageAdapter } from '../../core/ports/storage-adapter.js';

/** A response as it is stored for replay. */
export interface StoredResponse {
  status: number;
  body: unknown;
}

/** A valid `Idempotency-Key`: 1–200 visible ASCII characters (the OpenAPI document shows this pattern). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

/** The `Idempotency-Key` header, checked; null when absent. */
export function idempotencyKeyOf(request: Request): string | null {
  const key = request.headers.get('idempotency-key');
  if (key === null) return null;
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) throw new ValidationError('Idempotency-Key', 'must be 1–200 visible ASCII characters');
  return key;
}

/** SHA-256 (hex) of the method, path and body bytes: what must match when a key is replayed. */
export async function fingerprintOf(method: string, path: string, body: Uint8Array): Promise<string> {
  const head = new TextEncoder().encode(`${method} ${path}\n`);
  const data = new Uint8Array(head.byteLength + body.byteLength);
  data.set(head, 0);
  data.set(body, head.byteLength);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The policy of the handler's own keys: the engine's, with the staleness 10 s longer. The handler's
 * key begins before the engine's key of the same request, so when it goes stale the engine's has
 * too, and the request that takes it over is not refused by the engine's leftover key.
 */
export function httpIdempotencyPolicy(engine: IdempotencyPolicy): IdempotencyPolicy {
  return { staleAfterMs: engine.staleAfterMs + 10_000, retainMs: engine.retainMs };
}

export interface IdempotentCall {
  storage: StorageAdapter;
  username: string;
  key: string;
  fingerprint: string;
  /** How long to wait for a concurrent request with the same key before answering 409. */
  waitMs: number;
  policy: IdempotencyPolicy;
}

/**
 * Runs a charging request once per (user, key). The first request runs `run`; a later one with
 * the same body gets the stored response (`replayed: true`); one with another body is a 409.
 * A duplicate that arrives while the first is still running waits for its response; a key whose
 * request crashed (pending past `policy.staleAfterMs`) is taken over and the request runs again.
 *
 * Errors that mean nothing happened (4xx) forget the key, so the request can be sent again with
 * it; provider failures (502/504, already refunded) are stored and replayed like successes.
 */
export async function runIdempotent(
  call: IdempotentCall,
  run: (engineKey: string) => Promise<StoredResponse>,
): Promise<{ response: StoredResponse; replayed: boolean }> {
  const storageKey = `http:${call.username}:${call.key}`;
  const engineKey = `idem:${call.username}:${call.key}`;
  const deadline = Date.now() + call.waitMs;
  let delay = 25;
  for (;;) {
    // A key pending for longer than staleAfterMs was left by a crashed process: this request takes it over.
    const state = await call.storage.beginIdempotent(storageKey, call.fingerprint, Date.now(), { staleAfterMs: call.policy.staleAfterMs });
    if (state.state !== 'new' && state.fingerprint !== call.fingerprint) {
      throw new ConflictError(
        'idempotency_mismatch',
        'This Idempotency-Key was already used with a different request body; use a new key',
        {
          field: 'Idempotency-Key',
        },
      );
    }
    if (state.state === 'done') return { response: state.response as StoredResponse, replayed: true };
    if (state.state === 'new') break;
    if (Date.now() + delay > deadline) {
      throw new ConflictError('idempotency_pending', 'A request with this Idempotency-Key is still running; try again shortly', {
        field: 'Idempotency-Key',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 500);
  }

  const retain = { retainMs: call.policy.retainMs };
  try {
    const response = await run(engineKey);
    await call.storage.completeIdempotent(storageKey, response, Date.now(), retain);
    return { response, replayed: false };
  } catch (error) {
    if (isImageGenError(error) && (error.status === 502 || error.status === 504)) {
      await call.storage.completeIdempotent(storageKey, { status: error.status, body: error.toJSON() }, Date.now(), retain);
    } else {
      await call.storage.abandonIdempotent(storageKey).catch(() => {});
    }
    throw error;
  }
}
