import { createHash, createHmac, createPublicKey, timingSafeEqual, verify, type KeyObject } from 'node:crypto';

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function fresh(timestampSeconds: string | null, toleranceSeconds: number, now: number): boolean {
  const ts = Number(timestampSeconds);
  return Number.isFinite(ts) && Math.abs(now / 1000 - ts) <= toleranceSeconds;
}

/**
 * BFL: with `webhook_secret` set on the request, BFL signs the raw body with HMAC-SHA256 and sends
 * `X-BFL-Signature: sha256=<hex>` (BFL API skill, "webhook integration").
 */
export function verifyBflSignature(rawBody: Uint8Array, headers: Headers, secret: string): boolean {
  const header = headers.get('x-bfl-signature') ?? '';
  if (!header.startsWith('sha256=')) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return safeEqual(Buffer.from(header.slice(7), 'hex'), expected);
}

/**
 * Replicate (replicate.com/docs/topics/webhooks/verify-webhook, the Standard Webhooks scheme):
 * HMAC-SHA256 keyed with the base64 part of `whsec_…` over `<webhook-id>.<webhook-timestamp>.<body>`;
 * `webhook-signature` lists space-separated `v1,<base64>` signatures; the timestamp must be recent.
 */
export function verifyReplicateSignature(
  rawBody: Uint8Array,
  headers: Headers,
  secret: string,
  options: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  const id = headers.get('webhook-id');
  const timestamp = headers.get('webhook-timestamp');
  const signatures = headers.get('webhook-signature');
  if (!id || !timestamp || !signatures) return false;
  if (!fresh(timestamp, options.toleranceSeconds ?? 300, options.now ?? Date.now())) return false;
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(rawBody).digest();
  return signatures.split(' ').some((entry) => {
    const [version, signature] = entry.split(',');
    return version === 'v1' && signature !== undefined && safeEqual(Buffer.from(signature, 'base64'), expected);
  });
}

/** fal's signing keys: JWKS entries (`kty: OKP`, `crv: Ed25519`, `x` base64url). */
export interface Jwk {
  kty: string;
  crv: string;
  x: string;
}

export function ed25519KeyFromJwk(jwk: Jwk): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
}

/**
 * fal (docs.fal.ai "Webhooks", verifying your webhook): ED25519 over the lines
 * `<X-Fal-Webhook-Request-Id>\n<X-Fal-Webhook-User-Id>\n<X-Fal-Webhook-Timestamp>\n<sha256 hex of body>`,
 * signature hex in `X-Fal-Webhook-Signature`, public keys from fal's JWKS
 * (`https://rest.alpha.fal.ai/.well-known/jwks.json`); timestamp within 5 minutes.
 */
export function verifyFalSignature(
  rawBody: Uint8Array,
  headers: Headers,
  keys: readonly KeyObject[],
  options: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  const requestId = headers.get('x-fal-webhook-request-id');
  const userId = headers.get('x-fal-webhook-user-id');
  const timestamp = headers.get('x-fal-webhook-timestamp');
  const signature = headers.get('x-fal-webhook-signature');
  if (!requestId || !userId || !timestamp || !signature || !/^[0-9a-f]+$/i.test(signature)) return false;
  if (!fresh(timestamp, options.toleranceSeconds ?? 300, options.now ?? Date.now())) return false;
  const message = Buffer.from([requestId, userId, timestamp, createHash('sha256').update(rawBody).digest('hex')].join('\n'));
  const bytes = Buffer.from(signature, 'hex');
  return keys.some((key) => {
    try {
      return verify(null, message, key, bytes);
    } catch {
      return false;
    }
  });
}
