import type { ProviderStatus } from '../../../core/ports/provider-adapter.js';
import { sleep } from '../../../core/util/sleep.js';

export interface StatusInboxOptions {
  /** How long a delivered status is kept for a runner that starts waiting late. @default 15 min */
  ttlMs?: number;
  /** Most statuses kept; the oldest go first. @default 10000 */
  maxEntries?: number;
  now?: () => number;
}

type FinalStatus = Extract<ProviderStatus, { state: 'succeeded' | 'failed' }>;

interface Waiter {
  resolve: (status: FinalStatus | null) => void;
}

/**
 * Final statuses pushed by verified webhooks, keyed by provider and the provider's own request id.
 * A runner waiting between polls wakes the moment its status arrives; a status that arrives
 * before anyone waits is kept (for `ttlMs`). Repeated deliveries of a final status are reported as
 * duplicates and change nothing. In-process only: other processes still complete by polling.
 */
export class StatusInbox {
  readonly #statuses = new Map<string, { status: FinalStatus; at: number }>();
  readonly #waiters = new Map<string, Set<Waiter>>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: StatusInboxOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 15 * 60_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Records a pushed status. `duplicate` when this request's final status was already delivered. */
  deliver(provider: string, requestId: string, status: ProviderStatus): 'accepted' | 'duplicate' | 'ignored' {
    if (status.state !== 'succeeded' && status.state !== 'failed') return 'ignored';
    const key = `${provider}\u0000${requestId}`;
    this.#prune();
    if (this.#statuses.has(key)) return 'duplicate';
    this.#statuses.set(key, { status, at: this.#now() });
    const waiters = this.#waiters.get(key);
    if (waiters) {
      this.#waiters.delete(key);
      for (const waiter of waiters) waiter.resolve(status);
    }
    return 'accepted';
  }

  /** The final status delivered for a request, if any. */
  peek(provider: string, requestId: string): FinalStatus | null {
    return this.#statuses.get(`${provider}\u0000${requestId}`)?.status ?? null;
  }

  /** Resolves with the request's final status as soon as it is delivered, or null after `ms`. */
  wait(provider: string, requestId: string, ms: number, signal: AbortSignal): Promise<FinalStatus | null> {
    const known = this.peek(provider, requestId);
    if (known) return Promise.resolve(known);
    if (signal.aborted) return Promise.reject(signal.reason);
    const key = `${provider}\u0000${requestId}`;
    return new Promise<FinalStatus | null>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (status) => {
          cleanup();
          resolve(status);
        },
      };
      const timer = setTimeout(() => waiter.resolve(null), Math.max(0, ms));
      const onAbort = () => {
        cleanup();
        reject(signal.reason);
      };
      const cleanup = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        const set = this.#waiters.get(key);
        set?.delete(waiter);
        if (set?.size === 0) this.#waiters.delete(key);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      let set = this.#waiters.get(key);
      if (!set) {
        set = new Set();
        this.#waiters.set(key, set);
      }
      set.add(waiter);
    });
  }

  #prune(): void {
    const oldest = this.#now() - this.#ttlMs;
    for (const [key, entry] of this.#statuses) {
      if (entry.at >= oldest && this.#statuses.size < this.#maxEntries) break;
      this.#statuses.delete(key);
    }
  }
}

/** Waits one poll interval on the inbox when there is one, else sleeps; a helper for adapters. */
export async function waitOnInbox(
  inbox: StatusInbox | undefined,
  provider: string,
  requestId: string,
  ms: number,
  signal: AbortSignal,
): Promise<FinalStatus | null> {
  if (inbox) return inbox.wait(provider, requestId, ms, signal);
  if (ms > 0) await sleep(ms, signal);
  return null;
}
