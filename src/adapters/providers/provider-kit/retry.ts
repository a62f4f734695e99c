import pRetry from 'p-retry';
import { isTransient } from './http-status-error.js';

export interface RetryOptions {
  signal: AbortSignal;
  /** Further tries after the first. @default 4 */
  retries?: number;
  /** First back-off delay. @default 250 */
  minTimeoutMs?: number;
  /** Longest back-off delay. @default 4000 */
  maxTimeoutMs?: number;
  /** Also retry these (besides 429, 408, 5xx and network failures). */
  alsoRetry?: (error: unknown) => boolean;
  /** Called on each failure before the back-off (e.g. to cool a key down). */
  onFailure?: (error: unknown) => void | Promise<void>;
}

/**
 * Runs `attempt` again on transient failures, with exponential back-off and jitter (p-retry),
 * all under the task's AbortSignal: an abort stops the waiting and rejects with its reason.
 */
export async function withRetries<T>(attempt: (attemptNumber: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const retryable = (error: unknown) => isTransient(error) || (options.alsoRetry?.(error) ?? false);
  try {
    return await pRetry(attempt, {
      retries: options.retries ?? 4,
      minTimeout: options.minTimeoutMs ?? 250,
      maxTimeout: options.maxTimeoutMs ?? 4000,
      factor: 2,
      randomize: true,
      signal: options.signal,
      onFailedAttempt: async ({ error }) => {
        await options.onFailure?.(error);
      },
      shouldRetry: ({ error }) => !options.signal.aborted && retryable(error),
    });
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason;
    throw error;
  }
}
