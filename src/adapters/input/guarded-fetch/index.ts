import { lookup as dnsLookup } from 'node:dns/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type Socket } from 'node:net';
import { pipeline, type Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { isImageGenError } from '../../../core/errors/image-gen-error.js';
import { PayloadTooLargeError } from '../../../core/errors/payload-too-large-error.js';
import { checkImage } from '../../../core/image-input/check.js';
import { resolveImageLimits, type ImageLimits } from '../../../core/image-input/limits.js';
import type { InputImageFetcher } from '../../../core/ports/single-generation.js';
import { blockedReason } from './address-policy.js';
import { fetchRefused } from './errors.js';

export { blockedReason } from './address-policy.js';
export type { FetchRefusal } from './errors.js';

/** A resolved address of a host name. */
export interface ResolvedAddress {
  address: string;
  family: number;
}

export interface GuardedFetcherOptions {
  /** Size, pixel and side limits of the fetched image (the same as for uploads). @default 10 MiB, 40 MP, 12000 px */
  imageLimits?: Partial<ImageLimits>;
  /** Time to resolve and connect to each hop. @default 5000 */
  connectTimeoutMs?: number;
  /** Time for the whole fetch, redirects and body included. @default 20000 */
  timeoutMs?: number;
  /** Redirects followed (each one checked again). @default 3 */
  maxRedirects?: number;
  /** Also fetch `http:` URLs. @default false */
  allowHttp?: boolean;
  /**
   * Host names fetched whatever address they resolve to (an internal image host; a test server).
   * Matched exactly, case-insensitively, against the URL's host name. @default []
   */
  allowHosts?: readonly string[];
  /** Resolves a host name to its addresses. @default dns.lookup with `all: true` */
  resolve?: (hostname: string) => Promise<ResolvedAddress[]>;
  /** @default 'imagegen-kit' */
  userAgent?: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const defaultResolve = (hostname: string) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * A fetcher for `input_image` URLs that cannot be pointed at the host's own network: https only
 * (http when allowed), the address actually connected to is checked (the URL text is not
 * trusted, so `127.1`, `0x7f.1`, `2130706433`, `[::ffff:7f00:1]` and DNS rebinding are caught),
 * redirects followed by hand and each hop checked again, connect and total timeouts, and the body
 * counted while it streams (after gzip/deflate/br decoding) and abandoned over the size limit.
 * The bytes then pass the same check as an upload.
 *
 * @example
 * const engine = createEngine({ ..., fetchInputImage: createGuardedFetcher() });
 */
export function createGuardedFetcher(options: GuardedFetcherOptions = {}): InputImageFetcher {
  const limits = resolveImageLimits(options.imageLimits);
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const timeoutMs = options.timeoutMs ?? 20_000;
  const maxRedirects = options.maxRedirects ?? 3;
  const allowHosts = new Set((options.allowHosts ?? []).map((host) => host.toLowerCase()));
  const resolve = options.resolve ?? defaultResolve;
  const userAgent = options.userAgent ?? 'imagegen-kit';

  return async (text, { signal }) => {
    const controller = new AbortController();
    const total = setTimeout(() => controller.abort(fetchRefused('timeout', `could not be fetched within ${timeoutMs} ms`)), timeoutMs);
    const onAbort = () => controller.abort(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      let url = parseUrl(text, options.allowHttp ?? false);
      for (let hop = 0; ; hop++) {
        const response = await requestOnce(url, controller.signal);
        const location = response.headers.location;
        if (REDIRECTS.has(response.statusCode ?? 0) && location) {
          response.destroy();
          if (hop >= maxRedirects) throw fetchRefused('redirects', `was redirected more than ${maxRedirects} times`);
          url = parseUrl(new URL(location, url).href, options.allowHttp ?? false);
          continue;
        }
        if (!response.statusCode || response.statusCode < 200 || response.statusCode > 299) {
          response.destroy();
          throw fetchRefused('http_status', `could not be fetched: the server answered ${response.statusCode}`, {
            status: response.statusCode,
          });
        }
        const bytes = await readCapped(response, limits.maxBytes);
        const image = checkImage(bytes, response.headers['content-type'] ?? null, limits);
        return { bytes: image.bytes, contentType: image.type };
      }
    } catch (error) {
      throw asFetchError(error, controller.signal);
    } finally {
      clearTimeout(total);
      signal.removeEventListener('abort', onAbort);
    }
  };

  /** One request: resolve, check every address, connect to the checked one, check the socket's peer. */
  async function requestOnce(url: URL, signal: AbortSignal): Promise<IncomingMessage> {
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const trusted = allowHosts.has(host);
    let connectTimer: ReturnType<typeof setTimeout> | undefined;
    const connectTimedOut = new Promise<never>((_, reject) => {
      connectTimer = setTimeout(
        () => reject(fetchRefused('connect_timeout', `could not connect to ${host} within ${connectTimeoutMs} ms`)),
        connectTimeoutMs,
      );
    });
    connectTimedOut.catch(() => {});
    try {
      const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await Promise.race([resolveHost(host), connectTimedOut]);
      if (!trusted) for (const { address } of addresses) assertPublic(address, host);
      const target = addresses[0]!;
      return await Promise.race([
        new Promise<IncomingMessage>((resolveResponse, reject) => {
          const secure = url.protocol === 'https:';
          const request = (secure ? https : http).request({
            protocol: url.protocol,
            // Connect to the address that was checked, not to a name that could resolve again.
            host: target.address,
            family: target.family,
            port: url.port ? Number(url.port) : secure ? 443 : 80,
            path: `${url.pathname}${url.search}`,
            method: 'GET',
            headers: {
              host: url.host,
              'user-agent': userAgent,
              accept: 'image/jpeg, image/png, image/webp',
              'accept-encoding': 'gzip, deflate, br',
            },
            ...(secure && !isIP(host) ? { servername: host } : {}),
            agent: false,
            signal,
          });
          request.once('socket', (socket: Socket) => {
            socket.once('connect', () => {
              clearTimeout(connectTimer);
              // The peer actually connected to, checked again.
              const peer = socket.remoteAddress;
              if (!trusted && (!peer || blockedReason(peer)))
                request.destroy(fetchRefused('blocked_address', `must not point to a private or local address (${peer})`));
            });
          });
          request.once('response', resolveResponse);
          request.once('error', reject);
          request.end();
        }),
        connectTimedOut,
      ]);
    } finally {
      clearTimeout(connectTimer);
    }
  }

  async function resolveHost(host: string): Promise<ResolvedAddress[]> {
    let addresses: ResolvedAddress[];
    try {
      addresses = await resolve(host);
    } catch (error) {
      throw fetchRefused('dns', `could not be fetched: the host ${host} was not found`, {
        cause_code: (error as NodeJS.ErrnoException).code,
      });
    }
    if (addresses.length === 0) throw fetchRefused('dns', `could not be fetched: the host ${host} has no address`);
    return addresses;
  }
}

function assertPublic(address: string, host: string): void {
  const reason = blockedReason(address);
  if (reason) {
    throw fetchRefused('blocked_address', `must not point to a private or local address (${host} is ${address}: ${reason})`, {
      address,
      range: reason,
    });
  }
}

/** A URL the fetcher may request: https (or http when allowed), no credentials. */
function parseUrl(text: string, allowHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw fetchRefused('scheme', 'must be a data URL or an https URL');
  }
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
    throw fetchRefused('scheme', `must be an https URL (${url.protocol.replace(/:$/, '')}: is not fetched)`, {
      scheme: url.protocol.replace(/:$/, ''),
    });
  }
  if (url.username || url.password) throw fetchRefused('credentials', 'must not carry a user name or password');
  return url;
}

/** The body, decoded, counted while it streams; destroyed as soon as it passes `maxBytes`. */
async function readCapped(response: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  const encoding = String(response.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? createGunzip()
      : encoding === 'deflate'
        ? createInflate()
        : encoding === 'br'
          ? createBrotliDecompress()
          : encoding === 'identity' || encoding === ''
            ? null
            : undefined;
  if (decoder === undefined) {
    response.destroy();
    throw fetchRefused('http_status', `could not be read: unsupported content encoding ${encoding}`);
  }
  const body: Readable = decoder ? pipeline(response, decoder, () => {}) : response;
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      if (size > maxBytes) throw new PayloadTooLargeError(maxBytes, `The image at the URL is too large: the limit is ${maxBytes} bytes`);
      chunks.push(chunk);
    }
  } finally {
    response.destroy();
    body.destroy();
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function asFetchError(error: unknown, signal: AbortSignal): Error {
  if (signal.aborted && isImageGenError(signal.reason)) return signal.reason;
  if (isImageGenError(error)) return error;
  if (signal.aborted)
    return signal.reason instanceof Error ? signal.reason : fetchRefused('timeout', 'was not fetched: the request was cancelled');
  const code = (error as NodeJS.ErrnoException).code;
  return fetchRefused(
    'network',
    `could not be fetched (${code ?? (error instanceof Error ? error.message : 'network error')})`,
    code ? { cause_code: code } : {},
  );
}
