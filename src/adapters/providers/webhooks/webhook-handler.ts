import { readCapped, StreamTooLargeError } from '../../../core/streams/read-capped.js';
import type { KeyObject } from 'node:crypto';
import type { Logger } from '../../../core/options.js';
import type { ProviderStatus } from '../../../core/ports/provider-adapter.js';
import { mapFluxStatus } from '../bfl/flux-status.js';
import { mapFalError, mapFalResult } from '../fal/fal-status.js';
import { mapPrediction } from '../replicate/replicate-status.js';
import type { StatusInbox } from '../provider-kit/status-inbox.js';
import { ed25519KeyFromJwk, verifyBflSignature, verifyFalSignature, verifyReplicateSignature, type Jwk } from './verify.js';

export interface WebhookHandlerOptions {
  /** Where verified statuses go; give the same inbox to the adapters (`webhook.inbox`). */
  inbox: StatusInbox;
  /** The `webhook_secret` sent with BFL requests. */
  bfl?: { secret: string };
  /** The account's webhook signing secret (`whsec_…`, from `GET /v1/webhooks/default/secret`). */
  replicate?: { secret: string };
  /** fal's public keys: given, or fetched from `jwksUrl` and cached for a day. */
  fal?: { publicKeys?: readonly Jwk[]; jwksUrl?: string };
  /** Accepted clock difference of signed timestamps. @default 300 */
  toleranceSeconds?: number;
  /** Largest body accepted. @default 1 MiB */
  maxBodyBytes?: number;
  logger?: Logger;
}

type Provider = 'bfl' | 'fal' | 'replicate';
const FAL_JWKS = 'https://rest.alpha.fal.ai/.well-known/jwks.json';

/**
 * The webhook route: `(request) => Response` for `POST …/webhooks/:provider` (the provider is the
 * last path segment, or `?provider=`). It verifies the signature, maps the body to a final status
 * once, and hands it to the inbox so the waiting task completes without waiting for its next poll.
 * Repeated deliveries answer 200 and change nothing; bad signatures answer 401, unknown providers
 * 404, unreadable bodies 400 (so the provider does not retry them forever).
 */
export function createWebhookHandler(options: WebhookHandlerOptions): (request: Request) => Promise<Response> {
  let falKeys: { keys: KeyObject[]; at: number } | null = options.fal?.publicKeys
    ? { keys: options.fal.publicKeys.map(ed25519KeyFromJwk), at: Number.POSITIVE_INFINITY }
    : null;

  async function falPublicKeys(): Promise<KeyObject[]> {
    if (falKeys && Date.now() - falKeys.at < 24 * 3600_000) return falKeys.keys;
    const response = await fetch(options.fal?.jwksUrl ?? FAL_JWKS, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`fal JWKS answered HTTP ${response.status}`);
    const { keys } = (await response.json()) as { keys: Jwk[] };
    falKeys = { keys: keys.filter((k) => k.crv === 'Ed25519').map(ed25519KeyFromJwk), at: Date.now() };
    return falKeys.keys;
  }

  async function verified(provider: Provider, body: Uint8Array, headers: Headers): Promise<boolean> {
    const tolerance = { toleranceSeconds: options.toleranceSeconds ?? 300 };
    if (provider === 'bfl') return !!options.bfl && verifyBflSignature(body, headers, options.bfl.secret);
    if (provider === 'replicate')
      return !!options.replicate && verifyReplicateSignature(body, headers, options.replicate.secret, tolerance);
    return !!options.fal && verifyFalSignature(body, headers, await falPublicKeys(), tolerance);
  }

  return async (request) => {
    if (request.method !== 'POST') return json(405, { error: 'Use POST', code: 'method_not_allowed' });
    const url = new URL(request.url);
    const provider = (url.searchParams.get('provider') ?? url.pathname.split('/').filter(Boolean).pop() ?? '') as Provider;
    if (!['bfl', 'fal', 'replicate'].includes(provider) || !options[provider]) {
      return json(404, { error: `No webhook is configured for "${provider}"`, code: 'not_found' });
    }
    const body = await readBody(request, options.maxBodyBytes ?? 1024 * 1024);
    if (!body) return json(413, { error: 'Webhook body too large', code: 'payload_too_large' });
    let ok: boolean;
    try {
      ok = await verified(provider, body, request.headers);
    } catch (error) {
      options.logger?.error('webhook keys could not be loaded', {
        provider,
        error: error instanceof Error ? error.message : String(error),
      });
      return json(503, { error: 'Signing keys unavailable; retry later', code: 'unavailable' });
    }
    if (!ok) {
      options.logger?.warn('webhook with an invalid signature rejected', { provider });
      return json(401, { error: 'Invalid webhook signature', code: 'unauthorized' });
    }
    let parsed: { requestId: string; status: ProviderStatus };
    try {
      parsed = parseDelivery(provider, JSON.parse(new TextDecoder().decode(body)));
    } catch (error) {
      return json(400, {
        error: `Unreadable ${provider} webhook: ${error instanceof Error ? error.message : String(error)}`,
        code: 'validation',
      });
    }
    const outcome = options.inbox.deliver(provider, parsed.requestId, parsed.status);
    return json(200, { received: true, outcome });
  };
}

/** Maps a verified delivery to the provider's request id and a status, with the adapters' own mappers. */
// biome-ignore lint/suspicious/noExplicitAny: a verified but untyped delivery; each branch checks the fields it reads
function parseDelivery(provider: Provider, body: any): { requestId: string; status: ProviderStatus } {
  if (provider === 'bfl') {
    const requestId = body?.id ?? body?.task_id;
    if (typeof requestId !== 'string') throw new Error('no id');
    return { requestId, status: mapFluxStatus('bfl', body) };
  }
  if (provider === 'fal') {
    const requestId = body?.request_id;
    if (typeof requestId !== 'string') throw new Error('no request_id');
    // `status` is OK or ERROR; `payload` is the result (or error details).
    const status = body.status === 'OK' ? mapFalResult(body.payload) : mapFalError(body.error ?? body.payload);
    return { requestId, status };
  }
  const requestId = body?.id;
  if (typeof requestId !== 'string') throw new Error('no id');
  return { requestId, status: mapPrediction(body) };
}

/** The body, or null when it is over `maxBytes` (counted while reading). */
async function readBody(request: Request, maxBytes: number): Promise<Uint8Array | null> {
  try {
    return await readCapped(request.body, maxBytes);
  } catch (error) {
    if (error instanceof StreamTooLargeError) return null;
    throw error;
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}
