const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUES = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

/** Why a base64 text was refused. */
export type Base64Problem = 'length' | 'alphabet' | 'padding';

/**
 * Decodes standard base64 strictly: length a multiple of 4, only `A–Z a–z 0–9 + /`, at most two
 * `=` and only at the end, and unused bits of the last character zero (one text per byte string).
 * No whitespace, no base64url. Returns the problem instead of throwing.
 */
export function decodeBase64Strict(text: string): Uint8Array | Base64Problem {
  if (text.length % 4 !== 0) return 'length';
  let padding = 0;
  if (text.endsWith('==')) padding = 2;
  else if (text.endsWith('=')) padding = 1;
  const body = text.length - padding;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < body; i += 4) {
    let chunk = 0;
    let count = 0;
    for (let j = i; j < i + 4 && j < body; j++) {
      const code = text.charCodeAt(j);
      const value = code < 128 ? VALUES[code]! : -1;
      if (value < 0) return code === 0x3d ? 'padding' : 'alphabet';
      chunk = (chunk << 6) | value;
      count++;
    }
    if (count === 4) {
      out[o++] = chunk >> 16;
      out[o++] = (chunk >> 8) & 0xff;
      out[o++] = chunk & 0xff;
    } else if (count === 3) {
      if (chunk & 0x3) return 'padding';
      out[o++] = chunk >> 10;
      out[o++] = (chunk >> 2) & 0xff;
    } else if (count === 2) {
      if (chunk & 0xf) return 'padding';
      out[o++] = chunk >> 4;
    } else {
      return 'padding';
    }
  }
  return out;
}

/** Standard base64 with padding. */
export function encodeBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  const CHUNK = 0x3000; // multiple of 3, so chunks join without padding in between
  for (let start = 0; start < bytes.length; start += CHUNK) {
    const end = Math.min(bytes.length, start + CHUNK);
    let text = '';
    for (let i = start; i < end; i += 3) {
      const a = bytes[i]!;
      const b = i + 1 < end ? bytes[i + 1]! : 0;
      const c = i + 2 < end ? bytes[i + 2]! : 0;
      const n = (a << 16) | (b << 8) | c;
      text += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
      text += i + 1 < end ? ALPHABET[(n >> 6) & 63]! : '=';
      text += i + 2 < end ? ALPHABET[n & 63]! : '=';
    }
    parts.push(text);
  }
  return parts.join('');
}

/** Base64url without padding (RFC 4648 §5), for ids and tokens. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return encodeBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Decodes base64 or base64url from a trusted peer (a provider's answer), tolerating missing
 * padding and line breaks; null when it is not base64 at all. User input goes through
 * {@link decodeBase64Strict} instead.
 */
export function decodeBase64Loose(text: string): Uint8Array | null {
  let normal = text.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/');
  normal += '='.repeat((4 - (normal.length % 4)) % 4);
  const decoded = decodeBase64Strict(normal);
  return typeof decoded === 'string' ? null : decoded;
}
