import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * An independent AWS Signature V4 check, written from the AWS specification with node:crypto
 * rather than with the signer under test. s3rver does not verify V4 signatures (its
 * authentication middleware accepts any well-formed one), so the test server puts this in front.
 */
export interface SigV4Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  service?: string;
}

export type SigV4Verdict =
  | { ok: true }
  | { ok: false; reason: 'anonymous' | 'malformed' | 'wrong-credential' | 'expired' | 'skewed' | 'signature' };

export interface SigV4Request {
  method: string;
  /** Path and query exactly as on the wire, e.g. `/bucket/a%20b.png?X-Amz-Date=...`. */
  rawUrl: string;
  headers: Record<string, string | string[] | undefined>;
}

const rfc3986 = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
const sha256Hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const header = (headers: SigV4Request['headers'], name: string) => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};
/** `20130524T000000Z` as epoch milliseconds. */
const amzDateMs = (value: string) => Date.parse(value.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));

export function verifySigV4(request: SigV4Request, credentials: SigV4Credentials, now: number = Date.now()): SigV4Verdict {
  const [rawPath = '/', rawQuery = ''] = request.rawUrl.split('?', 2) as [string, string?];
  const query = rawQuery
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const [k = '', v = ''] = pair.split(/=(.*)/s, 2);
      return [decodeURIComponent(k.replace(/\+/g, ' ')), decodeURIComponent(v.replace(/\+/g, ' '))] as const;
    });
  const param = (name: string) => query.find(([k]) => k === name)?.[1];
  const presigned = param('X-Amz-Algorithm') !== undefined;
  const authorization = header(request.headers, 'authorization');
  if (!presigned && authorization === undefined) return { ok: false, reason: 'anonymous' };

  let credential: string | undefined;
  let signedHeaders: string | undefined;
  let signature: string | undefined;
  let amzDate: string | undefined;
  let payloadHash: string | undefined;
  if (presigned) {
    if (param('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return { ok: false, reason: 'malformed' };
    credential = param('X-Amz-Credential');
    signedHeaders = param('X-Amz-SignedHeaders');
    signature = param('X-Amz-Signature');
    amzDate = param('X-Amz-Date');
    payloadHash = 'UNSIGNED-PAYLOAD';
    const expires = Number(param('X-Amz-Expires'));
    if (!amzDate || !Number.isInteger(expires)) return { ok: false, reason: 'malformed' };
    if (now > amzDateMs(amzDate) + expires * 1000) return { ok: false, reason: 'expired' };
  } else {
    const match = /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(authorization ?? '');
    if (!match) return { ok: false, reason: 'malformed' };
    [, credential, signedHeaders, signature] = match;
    amzDate = header(request.headers, 'x-amz-date');
    payloadHash = header(request.headers, 'x-amz-content-sha256');
    if (!amzDate || !payloadHash) return { ok: false, reason: 'malformed' };
    if (Math.abs(now - amzDateMs(amzDate)) > 15 * 60_000) return { ok: false, reason: 'skewed' };
  }
  if (!credential || !signedHeaders || !signature || !amzDate) return { ok: false, reason: 'malformed' };

  const [accessKeyId, day, region, service, terminator] = credential.split('/');
  if (
    accessKeyId !== credentials.accessKeyId ||
    region !== credentials.region ||
    service !== (credentials.service ?? 's3') ||
    terminator !== 'aws4_request' ||
    day !== amzDate.slice(0, 8)
  )
    return { ok: false, reason: 'wrong-credential' };

  // S3's canonical URI: each segment decoded once and encoded once, no normalisation; "+" is a "+".
  const canonicalUri = rawPath
    .split('/')
    .map((segment) => rfc3986(decodeURIComponent(segment)))
    .join('/');
  const canonicalQuery = query
    .filter(([k]) => !(presigned && k === 'X-Amz-Signature'))
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([k1, v1], [k2, v2]) => (k1 < k2 ? -1 : k1 > k2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = signedHeaders.split(';');
  if (!names.includes('host')) return { ok: false, reason: 'malformed' };
  const canonicalHeaders = names.map((name) => `${name}:${(header(request.headers, name) ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonicalRequest = [request.method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region), service), 'aws4_request');
  const expected = hmac(signingKey, stringToSign);
  const provided = Buffer.from(signature, 'hex');
  return provided.length === expected.length && timingSafeEqual(provided, expected) ? { ok: true } : { ok: false, reason: 'signature' };
}
