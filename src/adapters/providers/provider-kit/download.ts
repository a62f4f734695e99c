import { readCapped, StreamTooLargeError } from '../../../core/streams/read-capped.js';
import { ProviderError } from '../../../core/errors/provider-error.js';
import type { ImageBytes } from '../../../core/ports/provider-adapter.js';
import { sniffImageType } from './image-type.js';

export interface DownloadOptions {
  provider: string;
  signal: AbortSignal;
  /** Largest image accepted, in bytes. @default 25 MiB */
  maxBytes?: number;
  /** Limit of the download itself; the task's signal still covers it. @default 60000 */
  timeoutMs?: number;
  /**
   * Auth headers, sent only when the URL's origin is `apiOrigin` (the provider's own API): result
   * CDNs never see the key.
   */
  auth?: { apiOrigin: string; headers: Record<string, string> };
  /** Accept plain `http:` result URLs (local fakes in tests). @default false */
  allowHttp?: boolean;
}

/**
 * Copies a result image from a provider URL: streamed with a size cap and a time limit, its type
 * decided by its bytes (PNG, JPEG or WebP), redirects followed only to https.
 */
export async function downloadImage(url: string, options: DownloadOptions): Promise<ImageBytes> {
  const { provider } = options;
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new ProviderError('invalid_response', `${provider} returned a result URL that is not a URL`);
  }
  if (!(target.protocol === 'https:' || (options.allowHttp && target.protocol === 'http:'))) {
    throw new ProviderError('invalid_response', `${provider} returned a result URL that is not https: ${target.protocol}`);
  }
  const maxBytes = options.maxBytes ?? 25 * 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const headers = options.auth && target.origin === options.auth.apiOrigin ? options.auth.headers : {};
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(timeoutMs)]);
  let response: Response;
  try {
    response = await fetch(target, { headers, signal, redirect: 'follow' });
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason;
    throw new ProviderError(
      'provider_error',
      `The result image from ${provider} could not be downloaded: ${describe(error, timeoutMs)}`,
      {},
      { cause: error },
    );
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new ProviderError('provider_error', `The result image from ${provider} could not be downloaded: HTTP ${response.status}`);
  }
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw new ProviderError('invalid_response', `The result image from ${provider} is larger than ${maxBytes} bytes`);
  }
  const bytes = await readResult(response, maxBytes, provider, options.signal, timeoutMs);
  const contentType = sniffImageType(bytes);
  if (!contentType) throw new ProviderError('invalid_response', `The result from ${provider} is not a PNG, JPEG or WebP image`);
  return { bytes, contentType };
}

async function readResult(
  response: Response,
  maxBytes: number,
  provider: string,
  taskSignal: AbortSignal,
  timeoutMs: number,
): Promise<Uint8Array> {
  try {
    return await readCapped(response.body, maxBytes);
  } catch (error) {
    if (taskSignal.aborted) throw taskSignal.reason;
    if (error instanceof StreamTooLargeError) {
      throw new ProviderError('invalid_response', `The result image from ${provider} is larger than ${maxBytes} bytes`);
    }
    throw new ProviderError(
      'provider_error',
      `The result image from ${provider} could not be downloaded: ${describe(error, timeoutMs)}`,
      {},
      { cause: error },
    );
  }
}

function describe(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return `no complete answer within ${timeoutMs} ms`;
  return error instanceof Error ? error.message : String(error);
}
