import ky, { HTTPError, TimeoutError, type KyInstance, type Options } from 'ky';
import { ImageGenApiError, isImageGenApiError } from './errors.js';
import { checkWire, type WireOutput, type WireSchema } from './wire-check.js';

/** Options shared by every call. */
export interface TransportOptions {
  baseUrl: string;
  token?: string | (() => string | null | undefined | Promise<string | null | undefined>);
  fetch?: typeof fetch;
  timeout?: number;
  retries?: number;
}

/** Turns whatever ky throws into an {@link ImageGenApiError}. */
export async function toApiError(error: unknown): Promise<unknown> {
  if (isImageGenApiError(error)) return error;
  if (error instanceof HTTPError) {
    const { response } = error;
    let body: Record<string, unknown> = {};
    try {
      body = (await response.clone().json()) as Record<string, unknown>;
    } catch {
      // not JSON: keep the status text
    }
    const { error: message, code, ...details } = body;
    return new ImageGenApiError(
      response.status,
      typeof code === 'string' ? code : `http_${response.status}`,
      typeof message === 'string' ? message : `${response.status} ${response.statusText}`,
      details,
      { cause: error },
    );
  }
  if (error instanceof TimeoutError)
    return new ImageGenApiError(0, 'network_timeout', 'The server did not answer in time', {}, { cause: error });
  if (error instanceof Error && error.name === 'AbortError') return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ImageGenApiError(0, 'network', `Could not reach the server: ${message}`, {}, { cause: error });
}

/** Answers kept for revalidation (`conditionalJson`), the most recently used ones. */
const KEPT_ANSWERS = 50;

/** The ky instance and URL helpers of one client. */
export class Transport {
  readonly ky: KyInstance;
  /** The same without the bearer token: for URLs the server handed out, which may be another host's (a bucket, a CDN). */
  readonly anonymous: KyInstance;
  readonly #base: string;
  readonly #answers = new Map<string, { etag: string; value: unknown }>();
  constructor(readonly options: TransportOptions) {
    this.#base = options.baseUrl.replace(/\/+$/, '');
    this.anonymous = ky.create({
      ...(options.fetch ? { fetch: options.fetch } : {}),
      timeout: options.timeout ?? 120_000,
      retry: { limit: options.retries ?? 2, statusCodes: [408, 500, 503], afterStatusCodes: [503], maxRetryAfter: 10_000 },
    });
    this.ky = this.anonymous.extend({
      hooks: {
        beforeRequest: [
          async (request) => {
            const token = typeof options.token === 'function' ? await options.token() : options.token;
            if (token) request.headers.set('Authorization', `Bearer ${token}`);
          },
        ],
      },
    });
  }

  /** `path` under the API base (`/batch/status`). */
  url(path: string): string {
    return `${this.#base}${path}`;
  }

  /** A URL the server handed out (such as `/api/images/…?exp=…&sig=…`), made absolute when the base is. */
  resolve(url: string): string {
    if (/^https?:\/\//i.test(url)) return url;
    if (/^https?:\/\//i.test(this.#base)) return new URL(url, this.#base).toString();
    return url;
  }

  /** Sends, converts errors, validates the JSON answer with `schema`. */
  async json<S extends WireSchema>(schema: S, url: string, options: Options = {}): Promise<WireOutput<S>> {
    let data: unknown;
    try {
      data = await this.ky(url, options).json();
    } catch (error) {
      throw await toApiError(error);
    }
    return checkAnswer(schema, data);
  }

  /**
   * `json` for the reads that carry an `ETag` (status, list, records): sends the last tag of `url`
   * as `If-None-Match` and answers a 304 with a copy of the last answer, already checked. The
   * server checks ownership before it compares tags, so a copy is never shown to another user.
   */
  async conditionalJson<S extends WireSchema>(schema: S, url: string, options: Options = {}): Promise<WireOutput<S>> {
    const answers = this.#answers;
    const last = answers.get(url);
    let value: WireOutput<S>;
    let etag: string | null;
    try {
      const response = await this.ky(url, last ? { ...options, headers: { 'If-None-Match': last.etag } } : options);
      etag = response.headers.get('etag');
      value = checkAnswer(schema, await response.json());
    } catch (error) {
      if (last && error instanceof HTTPError && error.response.status === 304) return structuredClone(last.value) as WireOutput<S>;
      throw await toApiError(error);
    }
    answers.delete(url);
    if (etag) answers.set(url, { etag, value: structuredClone(value) });
    if (answers.size > KEPT_ANSWERS) answers.delete(answers.keys().next().value!);
    return value;
  }
}

/** `data` checked with `schema`, or an `invalid_response` error naming the first bad field. */
export function checkAnswer<S extends WireSchema>(schema: S, data: unknown): WireOutput<S> {
  const checked = checkWire(schema, data);
  if (checked.ok) return checked.value;
  throw new ImageGenApiError(
    200,
    'invalid_response',
    `The server's answer does not match the API: ${checked.path || 'body'}: ${checked.message}`,
    { field: checked.path },
  );
}
