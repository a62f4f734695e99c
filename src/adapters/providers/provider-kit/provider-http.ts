import { isImageGenError } from '../../../core/errors/image-gen-error.js';
import { ProviderError } from '../../../core/errors/provider-error.js';
import type { Logger } from '../../../core/options.js';
import { HttpStatusError, NetworkError } from './http-status-error.js';
import type { KeyLease, KeyPool } from './key-pool.js';
import { withRetries } from './retry.js';
import { sleep } from '../../../core/util/sleep.js';
import type { ProviderStatus } from '../../../core/ports/provider-adapter.js';
import { waitOnInbox, type StatusInbox } from './status-inbox.js';
import { decodeRef } from './request-ref.js';

export interface ProviderHttpOptions {
  pool: KeyPool;
  /** Further tries of one call on 429, 5xx and network failures. @default 4 */
  retries?: number;
  /** First back-off delay. @default 250 */
  minTimeoutMs?: number;
  /** A held key is released after this long even if no final status was seen. @default 15 min */
  maxHoldMs?: number;
  logger?: Logger;
}

interface Hold {
  lease: KeyLease;
  timer: ReturnType<typeof setTimeout>;
  detach: () => void;
}

/**
 * The key pool and retries around one provider's calls. A generation holds one key from submit to
 * its final status (that is what providers limit per key); each HTTP call on the way is retried on
 * transient failures. 429 cools the key down, 401/403 takes it out of rotation and — on submit —
 * the call moves to another key.
 */
export class ProviderHttp {
  readonly pool: KeyPool;
  readonly #holds = new Map<string, Hold>();
  readonly #options: ProviderHttpOptions;

  constructor(options: ProviderHttpOptions) {
    this.pool = options.pool;
    this.#options = options;
  }

  get provider(): string {
    return this.pool.provider;
  }

  /** The label of the key a request id names by fingerprint (see `encodeRef`), for traces. */
  keyLabelOf(requestRef: string): string | undefined {
    const fingerprint = decodeRef(requestRef).key;
    return fingerprint ? this.pool.labelOf(fingerprint) : undefined;
  }

  /**
   * Runs `call` with a fresh key (least busy, waiting for capacity), retrying transient failures,
   * each retry on a newly chosen key. Returns the value and the lease, still held.
   */
  async start<T>(signal: AbortSignal, call: (lease: KeyLease) => Promise<T>): Promise<{ value: T; lease: KeyLease }> {
    let lease: KeyLease | null = null;
    try {
      const value = await withRetries(
        async () => {
          lease = await this.pool.acquire(signal);
          return call(lease);
        },
        {
          signal,
          retries: this.#options.retries ?? 4,
          minTimeoutMs: this.#options.minTimeoutMs ?? 250,
          // A rejected key leaves rotation; the next attempt takes another one.
          alsoRetry: (error) => isKeyRejected(error),
          onFailure: (error) => {
            if (!lease) return;
            this.#noteFailure(lease, error);
            lease.release('failure');
            lease = null;
          },
        },
      );
      return { value, lease: lease! };
    } catch (error) {
      (lease as KeyLease | null)?.release('failure');
      if (signal.aborted) throw signal.reason;
      throw this.toProviderError(error, 'submit');
    }
  }

  /** Keeps `lease` for the request until {@link finish}, the task's abort, or `maxHoldMs`. */
  hold(requestRef: string, lease: KeyLease, signal: AbortSignal): void {
    const onAbort = () => this.finish(requestRef, 'failure');
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(onAbort, this.#options.maxHoldMs ?? 15 * 60_000);
    timer.unref?.();
    this.#holds.get(requestRef)?.detach();
    this.#holds.set(requestRef, { lease, timer, detach: () => signal.removeEventListener('abort', onAbort) });
  }

  /** Releases the key held for a request once its status is final; a pending status keeps it. */
  finishIfFinal(requestRef: string, status: ProviderStatus): void {
    if (status.state === 'succeeded' || status.state === 'failed')
      this.finish(requestRef, status.state === 'succeeded' ? 'success' : 'failure');
  }

  /**
   * The port's `waitForStatus` for adapters that take webhooks: waits on the inbox for the
   * provider's own request id (or sleeps without an inbox) and frees the key on a final status.
   */
  async waitForWebhook(
    inbox: StatusInbox | undefined,
    requestRef: string,
    ms: number,
    signal: AbortSignal,
  ): Promise<ProviderStatus | null> {
    const status = await waitOnInbox(inbox, this.provider, decodeRef(requestRef).id, ms, signal);
    if (status) this.finishIfFinal(requestRef, status);
    return status;
  }

  /** Releases the key held for a request (its final status is known, or it was given up). */
  finish(requestRef: string, outcome: 'success' | 'failure'): void {
    const hold = this.#holds.get(requestRef);
    if (!hold) return;
    this.#holds.delete(requestRef);
    clearTimeout(hold.timer);
    hold.detach();
    hold.lease.release(outcome);
  }

  /**
   * Runs a follow-up call (poll, result, cancel) of a request with the key that created it: the
   * held one, or — after a restart — the key with that fingerprint, adopted without waiting.
   */
  async follow<T>(
    requestRef: string,
    keyFingerprint: string | null,
    signal: AbortSignal,
    call: (lease: KeyLease) => Promise<T>,
  ): Promise<T> {
    let hold = this.#holds.get(requestRef);
    if (!hold) {
      const lease = await this.pool.adopt(keyFingerprint, signal);
      this.hold(requestRef, lease, signal);
      hold = this.#holds.get(requestRef)!;
    }
    const lease = hold.lease;
    try {
      return await withRetries(() => call(lease), {
        signal,
        retries: this.#options.retries ?? 4,
        minTimeoutMs: this.#options.minTimeoutMs ?? 250,
        onFailure: async (error) => {
          this.#noteFailure(lease, error);
          // The request belongs to this key: wait out its Retry-After rather than switch keys.
          if (error instanceof HttpStatusError && error.status === 429 && error.retryAfterMs) {
            await sleep(error.retryAfterMs, signal);
          }
        },
      });
    } catch (error) {
      this.finish(requestRef, 'failure');
      if (signal.aborted) throw signal.reason;
      throw this.toProviderError(error);
    }
  }

  /**
   * Maps transport failures to {@link ProviderError}s with a message a person can act on. A 404
   * at submit means the endpoint (the model path) does not exist; later it means the request.
   */
  toProviderError(error: unknown, phase: 'submit' | 'follow' = 'follow'): unknown {
    if (isImageGenError(error)) return error;
    const provider = this.provider;
    if (error instanceof HttpStatusError) {
      if (error.status === 401 || error.status === 403)
        return new ProviderError('unauthorized', `${provider} rejected the API key (HTTP ${error.status})`);
      if (error.status === 402) return new ProviderError('provider_error', `${provider} reports the account is out of credits (HTTP 402)`);
      if (error.status === 404 && phase === 'submit')
        return new ProviderError(
          'provider_error',
          `${provider} has no endpoint at ${error.path ?? 'this path'} (HTTP 404${error.bodySnippet ? `: ${error.bodySnippet}` : ''}); check the model name the adapter was configured with`,
        );
      if (error.status === 404) return new ProviderError('not_found', `${provider} does not know this request (HTTP 404)`);
      if (error.status === 429)
        return new ProviderError('provider_error', `${provider} kept rate limiting the request (HTTP 429) after retries`);
      if (error.status >= 500)
        return new ProviderError('provider_error', `${provider} failed (HTTP ${error.status}) after retries: ${error.bodySnippet}`);
      return new ProviderError('provider_error', `${provider} rejected the request (HTTP ${error.status}): ${error.bodySnippet}`);
    }
    if (error instanceof NetworkError) return new ProviderError('provider_error', `${error.message} (after retries)`, {}, { cause: error });
    if (error instanceof Error && error.name !== 'AbortError' && error.name !== 'TimeoutError') {
      return new ProviderError('invalid_response', error.message, {}, { cause: error });
    }
    return error;
  }

  #noteFailure(lease: KeyLease, error: unknown): void {
    if (!(error instanceof HttpStatusError)) return;
    if (error.status === 429) this.pool.coolDown(lease, error.retryAfterMs);
    else if (error.status === 401 || error.status === 403) this.pool.disable(lease, `HTTP ${error.status} from ${this.provider}`);
  }
}

function isKeyRejected(error: unknown): boolean {
  return error instanceof HttpStatusError && (error.status === 401 || error.status === 403);
}
