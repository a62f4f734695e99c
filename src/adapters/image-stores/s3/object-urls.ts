import { ValidationError } from '../../../core/errors/validation-error.js';
import { isValidImageKey } from '../../../core/image-keys.js';

export interface ObjectUrlOptions {
  endpoint: string;
  bucket: string;
  keyPrefix: string;
  forcePathStyle: boolean;
  publicBaseUrl?: string | undefined;
}

/** Where a bucket's objects live and how their URLs look: unsigned object URLs, public URLs, and the way back. */
export interface ObjectUrls {
  /** `keyPrefix + key`, the name of the object in the bucket. */
  objectKey(key: string): string;
  /** The unsigned request URL of an image (path-style or virtual-hosted). */
  objectUrl(key: string): string;
  /** The URL under `publicBaseUrl`, or undefined when the bucket is private. */
  publicUrl(key: string): string | undefined;
  /** The image key of one of these URLs (any query string is ignored), or null. */
  keyFromUrl(url: string): string | null;
}

/** RFC 3986 percent-encoding, as SigV4 and S3 want it: everything but `A-Z a-z 0-9 - _ . ~`. */
export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * An object key as a URL path: each `/`-separated segment encoded. `+` becomes `%2B`, never a
 * literal `+`, which S3 (and aws4fetch's canonical path) would read as a space.
 */
export function encodeObjectKey(objectKey: string): string {
  return objectKey.split('/').map(encodeRfc3986).join('/');
}

// S3's rules for bucket names (R2 and MinIO follow them): what keeps a name safe in a host and a path.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function httpUrl(field: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ValidationError(field, 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ValidationError(field, 'must be an absolute http(s) URL');
  if (url.search || url.hash) throw new ValidationError(field, 'must not have a query string or fragment');
  return url;
}

const trimSlashes = (path: string) => path.replace(/\/+$/, '');

export function createObjectUrls(options: ObjectUrlOptions): ObjectUrls {
  const endpoint = httpUrl('endpoint', options.endpoint);
  if (!BUCKET.test(options.bucket)) throw new ValidationError('bucket', 'must be 3–63 characters of a-z 0-9 . - (S3 bucket naming rules)');
  const { keyPrefix } = options;
  if (keyPrefix.startsWith('/') || keyPrefix.split('/').some((segment) => segment === '..' || segment === '.'))
    throw new ValidationError('keyPrefix', 'must not start with "/" nor hold "." or ".." segments');

  const basePath = trimSlashes(endpoint.pathname);
  const objectBase = options.forcePathStyle
    ? `${endpoint.origin}${basePath}/${options.bucket}/`
    : `${endpoint.protocol}//${options.bucket}.${endpoint.host}${basePath}/`;
  const publicBase =
    options.publicBaseUrl === undefined ? undefined : `${trimSlashes(httpUrl('publicBaseUrl', options.publicBaseUrl).href)}/`;
  const encodedPrefix = encodeObjectKey(keyPrefix);
  // The URL bases as the WHATWG parser normalises them, so a parsed URL compares equal.
  const bases = [objectBase, publicBase].filter((base) => base !== undefined).map((base) => new URL(`${base}${encodedPrefix}`));

  return {
    objectKey: (key) => `${keyPrefix}${key}`,
    objectUrl: (key) => `${objectBase}${encodeObjectKey(`${keyPrefix}${key}`)}`,
    publicUrl: (key) => (publicBase === undefined ? undefined : `${publicBase}${encodeObjectKey(`${keyPrefix}${key}`)}`),
    keyFromUrl(url) {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        return null;
      }
      for (const base of bases) {
        if (parsed.origin !== base.origin || !parsed.pathname.startsWith(base.pathname)) continue;
        let key: string;
        try {
          key = decodeURIComponent(parsed.pathname.slice(base.pathname.length));
        } catch {
          continue;
        }
        // A valid key has no "/" and no "..", so nothing decoded here can reach outside the prefix.
        if (isValidImageKey(key)) return key;
      }
      return null;
    },
  };
}
