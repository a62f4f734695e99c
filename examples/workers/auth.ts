/**
 * Bearer tokens `{username}.{signature}`, the signature an HMAC-SHA256 of the username under
 * `TOKEN_SECRET` (Web Crypto, no dependency). Your sign-in issues them with {@link issueToken}
 * and the same secret; this Worker only checks them.
 */
const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

function keyOf(secret: string): Promise<CryptoKey> {
  if (secret.length < 32) throw new Error('TOKEN_SECRET must be at least 32 characters');
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    keys.set(secret, key);
  }
  return key;
}

const base64url = (bytes: ArrayBuffer): string =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

function fromBase64url(text: string): Uint8Array<ArrayBuffer> | null {
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

const USERNAME = /^[A-Za-z0-9_.@+-]{1,64}$/;

/** A token for `username`, for your sign-in to hand out. */
export async function issueToken(secret: string, username: string): Promise<string> {
  if (!USERNAME.test(username) || username.includes('.')) throw new Error('username: 1–64 of A–Z a–z 0–9 _ @ + -');
  return `${username}.${base64url(await crypto.subtle.sign('HMAC', await keyOf(secret), encoder.encode(username)))}`;
}

/** The username of a valid `Authorization: Bearer` token, or null. */
export async function verifyRequest(secret: string, request: Request): Promise<string | null> {
  const match = /^Bearer ([^.\s]+)\.([A-Za-z0-9_-]+)$/.exec(request.headers.get('authorization') ?? '');
  if (!match || !USERNAME.test(match[1]!)) return null;
  const signature = fromBase64url(match[2]!);
  if (!signature) return null;
  // verify() compares in constant time.
  const ok = await crypto.subtle.verify('HMAC', await keyOf(secret), signature, encoder.encode(match[1]!));
  return ok ? match[1]! : null;
}
