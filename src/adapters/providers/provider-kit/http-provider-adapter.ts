import { ValidationError } from '../../../core/errors/validation-error.js';
import type { Logger } from '../../../core/options.js';
import type {
  GenerationInput,
  ImageBytes,
  PollPolicy,
  ProviderAdapter,
  ProviderCallContext,
} from '../../../core/ports/provider-adapter.js';
import { downloadImage } from './download.js';
import { KeyPool } from './key-pool.js';
import { ProviderHttp } from './provider-http.js';
import type { OutputFormat } from '../../../core/schemas/params.js';
import type { StatusInbox } from './status-inbox.js';
import type { KeyStats } from './key-pool.js';

/** A provider adapter over HTTP: the port, plus what it cannot honour and its keys' counters. */
export interface HttpProviderAdapter extends ProviderAdapter {
  /** Inputs this adapter cannot honour as configured, e.g. `imagePromptStrength` on Kontext. */
  readonly unsupported: readonly string[];
  /** Per-key counters (in-flight, successes, failures, cool-downs); never the keys. */
  keyStats(): KeyStats[];
}

/** Options every HTTP adapter shares. */
export interface CommonProviderOptions {
  /** One key or several (a comma-separated string works too); each adds concurrency. */
  apiKeys: string | readonly string[];
  /** Generations running at once per key. */
  concurrencyPerKey?: number;
  /** Further tries of one HTTP call on 429, 5xx and network failures. @default 4 */
  retries?: number;
  /** First back-off delay between tries. @default 250 */
  retryMinTimeoutMs?: number;
  /** Polling budget the engine uses with this provider. */
  pollPolicy?: Partial<PollPolicy>;
  /** Largest result image copied, in bytes. @default 25 MiB */
  maxDownloadBytes?: number;
  /** Limit of one result download. @default 60000 */
  downloadTimeoutMs?: number;
  /** Where key cool-downs and removals are reported (never the key). */
  logger?: Logger;
}

/** Webhook settings of adapters whose provider can push results. */
export interface WebhookSettings {
  /** Public URL of the route that runs `createWebhookHandler` (e.g. `https://host/api/webhooks/bfl`). */
  url: string;
  /** Where the handler puts verified statuses; the same instance the handler was given. */
  inbox: StatusInbox;
}

/** Splits `"a, b"` or a list into trimmed, non-empty keys. */
export function keyList(apiKeys: string | readonly string[]): string[] {
  const list = typeof apiKeys === 'string' ? apiKeys.split(',') : [...apiKeys];
  return list.map((k) => k.trim()).filter(Boolean);
}

/** Fails before any call when the provider cannot produce the requested format. */
export function assertOutputFormat(provider: string, input: GenerationInput, formats: readonly OutputFormat[]): void {
  if (!formats.includes(input.outputFormat)) {
    throw new ValidationError('output_format', `${provider} cannot produce ${input.outputFormat}; use ${formats.join(' or ')}`);
  }
}

/** Logs once per adapter that an input is not honoured (instead of dropping it silently). */
export function warnOnce(logger: Logger | undefined, seen: Set<string>, provider: string, what: string): void {
  if (seen.has(what)) return;
  seen.add(what);
  logger?.warn(`${provider} does not honour ${what}; it is ignored`, { provider });
}

/**
 * The port's `download` for results on a provider's CDN: capped in size and time, and the key is
 * only ever sent to the API's own origin (`apiOrigin`), never to the CDN.
 */
export function resultDownloader(
  provider: string,
  apiOrigin: string,
  options: Pick<CommonProviderOptions, 'maxDownloadBytes' | 'downloadTimeoutMs'>,
): (url: string, ctx: ProviderCallContext) => Promise<ImageBytes> {
  return (url, ctx) =>
    downloadImage(url, {
      provider,
      signal: ctx.signal,
      maxBytes: options.maxDownloadBytes,
      timeoutMs: options.downloadTimeoutMs,
      auth: { apiOrigin, headers: {} },
      allowHttp: apiOrigin.startsWith('http:'),
    });
}

/** The key pool and retry layer of one adapter, from the options every adapter shares. */
export function providerHttpFor(provider: string, options: CommonProviderOptions, defaultConcurrencyPerKey: number): ProviderHttp {
  return new ProviderHttp({
    pool: new KeyPool({
      provider,
      keys: keyList(options.apiKeys),
      concurrencyPerKey: options.concurrencyPerKey ?? defaultConcurrencyPerKey,
      logger: options.logger,
    }),
    retries: options.retries,
    minTimeoutMs: options.retryMinTimeoutMs,
    logger: options.logger,
  });
}
