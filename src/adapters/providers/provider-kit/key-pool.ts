import { createHash } from 'node:crypto';
import { ProviderError } from '../../../core/errors/provider-error.js';
import type { Logger } from '../../../core/options.js';

/** What the pool shows about one key: never the key itself. */
export interface KeyStats {
  /** `<provider>#<n>` (1-based position in the list). */
  label: string;
  /** A short hash of the key, stable across restarts, so a resumed request finds its key. */
  fingerprint: string;
  inFlight: number;
  successes: number;
  failures: number;
  coolDowns: number;
  /** Epoch ms until which the key is not handed out (429), or null. */
  coolingUntil: number | null;
  /** Why the key was taken out of rotation (401/403), or null while it is in use. */
  disabledReason: string | null;
}

/** One use of a key: a whole generation at the provider, from submit to its final status. */
export interface KeyLease {
  readonly key: string;
  readonly label: string;
  readonly fingerprint: string;
  /** Ends the use; idempotent. */
  release(outcome: 'success' | 'failure'): void;
}

export interface KeyPoolOptions {
  /** Provider name used in labels, errors and logs. */
  provider: string;
  keys: readonly string[];
  /** Generations running at once per key (BFL allows about 24 active tasks per key). @default 24 */
  concurrencyPerKey?: number;
  /** Cool-down after a 429 without `Retry-After`. @default 5000 */
  defaultCoolDownMs?: number;
  logger?: Logger;
  now?: () => number;
}

interface KeyState extends KeyStats {
  key: string;
}

interface Waiter {
  resolve: (lease: KeyLease) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal;
  onAbort: () => void;
}

/** A stable, non-reversible short name of a key (first 12 hex chars of its SHA-256). */
export function keyFingerprint(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

/**
 * Several API keys of one provider. Each key runs at most `concurrencyPerKey` generations; a new
 * generation takes the least busy key; a 429 cools a key down (honouring `Retry-After`); a
 * 401/403 takes it out of rotation with a logged reason (the label, never the key). Callers that
 * find no free key wait in line, under their AbortSignal.
 */
export class KeyPool {
  readonly provider: string;
  readonly concurrencyPerKey: number;
  readonly #keys: KeyState[];
  readonly #waiters: Waiter[] = [];
  readonly #defaultCoolDownMs: number;
  readonly #logger: Logger | undefined;
  readonly #now: () => number;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: KeyPoolOptions) {
    const keys = [...new Set(options.keys.map((k) => k.trim()).filter(Boolean))];
    if (keys.length === 0) throw new RangeError(`${options.provider}: at least one API key is needed`);
    const limit = options.concurrencyPerKey ?? 24;
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError('concurrencyPerKey must be a whole number of 1 or more');
    this.provider = options.provider;
    this.concurrencyPerKey = limit;
    this.#defaultCoolDownMs = options.defaultCoolDownMs ?? 5000;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#keys = keys.map((key, i) => ({
      key,
      label: `${options.provider}#${i + 1}`,
      fingerprint: keyFingerprint(key),
      inFlight: 0,
      successes: 0,
      failures: 0,
      coolDowns: 0,
      coolingUntil: null,
      disabledReason: null,
    }));
  }

  /** Per-key counters, in key order. */
  stats(): KeyStats[] {
    return this.#keys.map(({ key: _key, ...stats }) => ({ ...stats }));
  }

  /** The label of the key with this fingerprint, or undefined when none has it. */
  labelOf(fingerprint: string): string | undefined {
    return this.#keys.find((k) => k.fingerprint === fingerprint)?.label;
  }

  /** Waits for the least busy usable key. Rejects when every key is out of rotation, or on abort. */
  acquire(signal: AbortSignal): Promise<KeyLease> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const lease = this.#tryTake();
    if (lease) return Promise.resolve(lease);
    if (this.#keys.every((k) => k.disabledReason !== null)) return Promise.reject(this.#allDisabledError());
    return new Promise<KeyLease>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          this.#removeWaiter(waiter);
          reject(signal.reason);
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#schedule();
    });
  }

  /**
   * A lease on the key with this fingerprint without waiting for capacity: the generation already
   * runs at the provider (resumed after a restart). Falls back to the least busy usable key.
   */
  adopt(fingerprint: string | null, signal: AbortSignal): Promise<KeyLease> {
    const state = this.#keys.find((k) => k.fingerprint === fingerprint && k.disabledReason === null);
    if (state) return Promise.resolve(this.#lease(state));
    return this.acquire(signal);
  }

  /** A 429: the key is not handed out for `ms` (or the default cool-down). */
  coolDown(lease: KeyLease, ms: number | undefined): void {
    const state = this.#state(lease);
    const until = this.#now() + Math.max(0, ms ?? this.#defaultCoolDownMs);
    state.coolDowns++;
    state.coolingUntil = Math.max(state.coolingUntil ?? 0, until);
    this.#logger?.warn(`${state.label} was rate limited; cooling down`, { key: state.label, ms: until - this.#now() });
    this.#schedule();
  }

  /** A 401/403: the key leaves rotation for good; `reason` must not contain the key. */
  disable(lease: KeyLease, reason: string): void {
    const state = this.#state(lease);
    if (state.disabledReason !== null) return;
    state.disabledReason = reason;
    this.#logger?.error(`${state.label} taken out of rotation: ${reason}`, { key: state.label });
    if (this.#keys.every((k) => k.disabledReason !== null)) {
      const error = this.#allDisabledError();
      for (const waiter of this.#waiters.splice(0)) {
        waiter.signal.removeEventListener('abort', waiter.onAbort);
        waiter.reject(error);
      }
    }
  }

  #state(lease: KeyLease): KeyState {
    return this.#keys.find((k) => k.fingerprint === lease.fingerprint)!;
  }

  #usable(state: KeyState, at: number): boolean {
    return (
      state.disabledReason === null && (state.coolingUntil === null || state.coolingUntil <= at) && state.inFlight < this.concurrencyPerKey
    );
  }

  #tryTake(): KeyLease | null {
    const at = this.#now();
    let best: KeyState | null = null;
    for (const state of this.#keys) {
      if (state.coolingUntil !== null && state.coolingUntil <= at) state.coolingUntil = null;
      if (this.#usable(state, at) && (!best || state.inFlight < best.inFlight)) best = state;
    }
    return best ? this.#lease(best) : null;
  }

  #lease(state: KeyState): KeyLease {
    state.inFlight++;
    let released = false;
    return {
      key: state.key,
      label: state.label,
      fingerprint: state.fingerprint,
      release: (outcome) => {
        if (released) return;
        released = true;
        state.inFlight--;
        if (outcome === 'success') state.successes++;
        else state.failures++;
        this.#drain();
      },
    };
  }

  #drain(): void {
    while (this.#waiters.length > 0) {
      const lease = this.#tryTake();
      if (!lease) break;
      const waiter = this.#waiters.shift()!;
      waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.resolve(lease);
    }
    this.#schedule();
  }

  /** Wakes the line when the earliest cool-down ends. */
  #schedule(): void {
    if (this.#timer || this.#waiters.length === 0) return;
    const at = this.#now();
    const ends = this.#keys
      .filter((k) => k.disabledReason === null && k.coolingUntil !== null && k.coolingUntil > at)
      .map((k) => k.coolingUntil!);
    if (ends.length === 0) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        this.#drain();
      },
      Math.min(...ends) - at + 1,
    );
    this.#timer.unref?.();
  }

  #removeWaiter(waiter: Waiter): void {
    const index = this.#waiters.indexOf(waiter);
    if (index >= 0) this.#waiters.splice(index, 1);
  }

  #allDisabledError(): ProviderError {
    return new ProviderError(
      'unauthorized',
      `Every ${this.provider} API key was rejected (${this.#keys.map((k) => `${k.label}: ${k.disabledReason}`).join('; ')}); check the keys`,
    );
  }
}
