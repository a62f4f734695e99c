/** State of an idempotency key of a request that is not a ledger entry by itself. */
export type IdempotencyState =
  | { state: 'new' }
  | { state: 'pending'; fingerprint: string }
  | { state: 'done'; fingerprint: string; response: unknown };

export interface BeginIdempotentOptions {
  /**
   * A `pending` key that began at least this long before `now` belongs to a request presumed dead
   * (its process crashed): it is taken over, as if new, by exactly one caller, with that caller's
   * fingerprint. Choose it longer than the longest request can run. Absent: a pending key waits
   * for {@link IdempotencyStore.completeIdempotent} or {@link IdempotencyStore.abandonIdempotent} forever.
   */
  staleAfterMs?: number;
}

export interface CompleteIdempotentOptions {
  /** The response is replayed until `now + retainMs`; afterwards the key is new again. @default 86400000 (24 h) */
  retainMs?: number;
}

/**
 * Idempotency keys of whole requests (e.g. an HTTP `Idempotency-Key`). Keys are scoped by the
 * caller (e.g. `user:key`). A window that is not a whole number of milliseconds ≥ 1 throws
 * `RangeError` and writes nothing.
 */
export interface IdempotencyStore {
  /** `new` to exactly one of concurrent callers (the key becomes `pending` at `now`; an expired or, with `staleAfterMs`, stale key counts as absent), else the stored state. */
  beginIdempotent(key: string, fingerprint: string, now: number, options?: BeginIdempotentOptions): Promise<IdempotencyState>;
  /** Stores the response of a begun key, replayed as `done` (with the first fingerprint) until `now + retainMs`, then the key is new again. */
  completeIdempotent(key: string, response: unknown, now: number, options?: CompleteIdempotentOptions): Promise<void>;
  /** Forgets a `pending` key (the request failed before doing anything) so the next begin gets `new`. */
  abandonIdempotent(key: string): Promise<void>;
}
