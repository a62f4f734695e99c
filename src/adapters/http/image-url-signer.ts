import { ValidationError } from '../../core/errors/validation-error.js';

/** The shortest `imageUrlSecret` accepted: 32 characters, as many as the 256-bit MAC it keys. */
export const MIN_IMAGE_URL_SECRET_LENGTH = 32;

/** HMAC-SHA256 signatures of (image key, expiry), keyed by the host's secret. */
export interface ImageUrlSigner {
  /** The signature (base64url, no padding) of `key` valid until `expiresAt` (Unix seconds). */
  sign(key: string, expiresAt: number): Promise<string>;
  /** True when `signature` is this signer's for `key` and `expiresAt`; compared in constant time. */
  verify(key: string, expiresAt: number, signature: string): Promise<boolean>;
}

// A version and purpose in the signed text, so the same secret never signs two meanings alike.
const payload = (key: string, expiresAt: number) => new TextEncoder().encode(`imagegen-kit image v1\n${key}\n${expiresAt}`);

const BASE64URL = /^[A-Za-z0-9_-]{43}$/;

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/**
 * A signer over Web Crypto (`crypto.subtle`), so it runs on Node, Workers, Deno and Bun alike.
 * Verification is `crypto.subtle.verify`, which compares the MAC in constant time.
 */
export function createImageUrlSigner(secret: string): ImageUrlSigner {
  if (typeof secret !== 'string' || secret.length < MIN_IMAGE_URL_SECRET_LENGTH) {
    throw new ValidationError(
      'imageUrlSecret',
      `must be a string of at least ${MIN_IMAGE_URL_SECRET_LENGTH} characters (e.g. 32 random bytes in base64url)`,
    );
  }
  let cryptoKey: Promise<CryptoKey> | undefined;
  const keyOf = () =>
    (cryptoKey ??= crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]));
  return {
    async sign(key, expiresAt) {
      const mac = await crypto.subtle.sign('HMAC', await keyOf(), payload(key, expiresAt));
      return toBase64Url(new Uint8Array(mac));
    },
    async verify(key, expiresAt, signature) {
      // A SHA-256 MAC is 32 bytes, 43 base64url characters: anything else cannot match.
      if (!BASE64URL.test(signature)) return false;
      const mac = fromBase64Url(signature);
      // The last character carries 2 unused bits: only the canonical spelling of a MAC is accepted.
      if (toBase64Url(mac) !== signature) return false;
      return crypto.subtle.verify('HMAC', await keyOf(), mac, payload(key, expiresAt));
    },
  };
}
