import type { BeginIdempotentOptions, CompleteIdempotentOptions } from '../ports/storage-adapter.js';

/** How long a stored response of an idempotent request is replayed when the caller does not say: 24 hours. */
export const DEFAULT_IDEMPOTENCY_RETAIN_MS = 24 * 60 * 60 * 1000;

function window(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number of milliseconds, at least 1`);
  return value;
}

/** `staleAfterMs`, checked; null when absent (a pending key never goes stale). */
export function staleAfterOf(options: BeginIdempotentOptions | undefined): number | null {
  return options?.staleAfterMs === undefined ? null : window('staleAfterMs', options.staleAfterMs);
}

/** `retainMs`, checked, or the 24-hour default. */
export function retainOf(options: CompleteIdempotentOptions | undefined): number {
  return options?.retainMs === undefined ? DEFAULT_IDEMPOTENCY_RETAIN_MS : window('retainMs', options.retainMs);
}
