/** A non-2xx answer from a provider's API. Carries no request headers, so never a key. */
export class HttpStatusError extends Error {
  readonly status: number;
  /** From `Retry-After`, when the provider sent one. */
  readonly retryAfterMs: number | undefined;
  /** The start of the response body, for the error message. */
  readonly bodySnippet: string;
  /** The path that was called (no query string, so no id or key). */
  readonly path: string | undefined;
  constructor(provider: string, status: number, bodySnippet: string, retryAfterMs?: number, path?: string) {
    super(`${provider} answered HTTP ${status}${bodySnippet ? `: ${bodySnippet}` : ''}`);
    this.name = 'HttpStatusError';
    this.status = status;
    this.bodySnippet = bodySnippet;
    this.retryAfterMs = retryAfterMs;
    this.path = path;
  }
}

/** The network failed before any answer (connection refused, reset, DNS). */
export class NetworkError extends Error {
  constructor(provider: string, cause: unknown) {
    super(`${provider} could not be reached: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'NetworkError';
  }
}

/** 429, 408, 5xx and network failures are worth another try; everything else is final. */
export function isTransient(error: unknown): boolean {
  if (error instanceof NetworkError) return true;
  if (error instanceof HttpStatusError) return error.status === 429 || error.status === 408 || error.status >= 500;
  return false;
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
