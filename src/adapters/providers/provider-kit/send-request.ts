import { readCapped, StreamTooLargeError } from '../../../core/streams/read-capped.js';
import { HttpStatusError, NetworkError, parseRetryAfter } from './http-status-error.js';

export interface SendRequestOptions {
  /** Provider name for error messages. */
  provider: string;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  headers?: Record<string, string>;
  /** Serialised as JSON unless it is FormData or a string. */
  body?: unknown;
  signal: AbortSignal;
  /** Limit of this one HTTP exchange; the task's signal still covers everything. @default 30000 */
  timeoutMs?: number;
  /** Largest response body read, in bytes. @default 1 MiB */
  maxBodyBytes?: number;
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  /** The parsed body, or `undefined` when it was empty. */
  json: unknown;
}

/**
 * One HTTP exchange with a provider's API: JSON in, JSON out. Non-2xx answers become
 * {@link HttpStatusError} (with `Retry-After`), network failures {@link NetworkError}; a body that
 * is not JSON throws a plain Error naming the provider. Abort reasons pass through unchanged.
 */
export async function sendRequest(url: string, options: SendRequestOptions): Promise<JsonResponse> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000);
  const signal = AbortSignal.any([options.signal, timeout]);
  const { body } = options;
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  let payload: BodyInit | undefined;
  if (body instanceof FormData || typeof body === 'string') payload = body;
  else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      body: payload,
      signal,
      redirect: 'error',
    });
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason;
    if (timeout.aborted) throw new NetworkError(options.provider, new Error(`no answer within ${options.timeoutMs ?? 30_000} ms`));
    throw new NetworkError(options.provider, error);
  }
  const text = await readText(response, options.maxBodyBytes ?? 1024 * 1024, options.provider).catch((error) => {
    if (options.signal.aborted) throw options.signal.reason;
    throw error;
  });
  if (!response.ok) {
    throw new HttpStatusError(
      options.provider,
      response.status,
      snippet(text, headers),
      parseRetryAfter(response.headers.get('retry-after')),
      new URL(url).pathname,
    );
  }
  if (text.trim() === '') return { status: response.status, headers: response.headers, json: undefined };
  try {
    return { status: response.status, headers: response.headers, json: JSON.parse(text) };
  } catch {
    throw new Error(`${options.provider} answered with a body that is not JSON: ${snippet(text, headers)}`);
  }
}

async function readText(response: Response, maxBytes: number, provider: string): Promise<string> {
  try {
    return new TextDecoder().decode(await readCapped(response.body, maxBytes));
  } catch (error) {
    if (error instanceof StreamTooLargeError) throw new Error(`${provider} answered with a body over ${maxBytes} bytes`);
    throw error;
  }
}

/** Header names that carry a credential (`Authorization`, `x-key`, `x-api-key`, `api-key`, …). */
const CREDENTIAL_HEADER = /auth|key|token|secret/i;

/**
 * The first 200 characters of a body, on one line, for an error message (which may reach a task's
 * stored error, its owner and the logs). A provider that echoes the credential it was sent (a
 * 401 quoting the key) gets it replaced by `[redacted]`: every word of 8 or more characters of the
 * request's credential headers (the key of `Authorization: Bearer <key>`, `x-key: <key>`) is
 * removed before the cut, so a key split at the 200th character cannot leak either.
 */
export function snippet(text: string, requestHeaders: Record<string, string> = {}): string {
  let line = text.replace(/\s+/g, ' ').trim();
  for (const [name, value] of Object.entries(requestHeaders)) {
    if (!CREDENTIAL_HEADER.test(name)) continue;
    for (const word of value.split(/\s+/)) if (word.length >= 8) line = line.replaceAll(word, '[redacted]');
  }
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/**
 * One HTTP exchange whose successful answer is an image (synchronous APIs such as Fireworks'
 * `text_to_image`): JSON in, bytes out, capped at `maxBodyBytes` (default 32 MiB). Errors as
 * {@link sendRequest}.
 */
export async function sendForBytes(
  url: string,
  options: SendRequestOptions & { accept: string },
): Promise<{ bytes: Uint8Array; headers: Headers }> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000);
  const signal = AbortSignal.any([options.signal, timeout]);
  const maxBytes = options.maxBodyBytes ?? 32 * 1024 * 1024;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { ...options.headers, accept: options.accept, 'content-type': 'application/json' },
      body: JSON.stringify(options.body),
      signal,
      redirect: 'error',
    });
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason;
    if (timeout.aborted) throw new NetworkError(options.provider, new Error(`no answer within ${options.timeoutMs ?? 30_000} ms`));
    throw new NetworkError(options.provider, error);
  }
  if (!response.ok) {
    const text = await readText(response, 64 * 1024, options.provider).catch(() => '');
    throw new HttpStatusError(
      options.provider,
      response.status,
      snippet(text, options.headers),
      parseRetryAfter(response.headers.get('retry-after')),
      new URL(url).pathname,
    );
  }
  try {
    return { bytes: await readCapped(response.body, maxBytes), headers: response.headers };
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason;
    if (error instanceof StreamTooLargeError) throw new Error(`${options.provider} answered an image over ${maxBytes} bytes`);
    throw error;
  }
}
