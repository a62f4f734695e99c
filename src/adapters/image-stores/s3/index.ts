import { AwsClient } from 'aws4fetch';
import { ValidationError } from '../../../core/errors/validation-error.js';
import { isValidImageKey, newImageKey } from '../../../core/image-keys.js';
import type { ImageStore } from '../../../core/ports/image-store.js';
import { assertImageKey } from '../assert-image-key.js';
import { createObjectUrls } from './object-urls.js';
import { S3RequestError } from './s3-request-error.js';

export { S3RequestError } from './s3-request-error.js';

export interface S3ImageStoreOptions {
  /**
   * The S3 API endpoint, without the bucket: `https://s3.eu-west-1.amazonaws.com`,
   * `https://<account>.r2.cloudflarestorage.com`, `http://127.0.0.1:9000` (MinIO).
   */
  endpoint: string;
  /** The signing region: the bucket's AWS region, `auto` for R2, `us-east-1` for most MinIO setups. */
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** For temporary AWS credentials (STS). */
  sessionToken?: string;
  /** Put before every image key to name its object, e.g. `images/`. @default '' */
  keyPrefix?: string;
  /**
   * `{endpoint}/{bucket}/{object}` instead of `{bucket}.{endpoint host}/{object}`. MinIO and
   * endpoints given as an IP address need it. @default false
   */
  forcePathStyle?: boolean;
  /**
   * Base of public URLs when the bucket is public or behind a CDN: URLs are then
   * `{publicBaseUrl}/{keyPrefix}{key}` and never expire. Without it URLs are presigned GETs.
   */
  publicBaseUrl?: string;
  /** Lifetime of presigned URLs, 1 to 604800 (a week, S3's maximum). @default 3600 */
  urlExpiresInSeconds?: number;
  /** The fetch to send requests with. @default globalThis.fetch */
  fetch?: typeof fetch;
}

export interface S3ImageStore extends ImageStore {
  readonly bucket: string;
  /**
   * A URL a browser can load for a stored key, made now: the public URL, or a presigned GET valid
   * for `urlExpiresInSeconds` from this call. Build URLs at response time from the stored key.
   */
  urlFor(key: string): Promise<string>;
}

// S3 metadata must be US-ASCII; owners are percent-encoded so any user id survives the round trip.
const OWNER_HEADER = 'x-amz-meta-owner';

/**
 * Images as objects in an S3-compatible bucket (AWS S3, Cloudflare R2, MinIO). The content type is
 * the object's `Content-Type`, the owner its `x-amz-meta-owner` metadata. Requests are signed with
 * SigV4 by aws4fetch over `fetch`, so the store runs on Node, Workers and Deno alike.
 */
export function createS3ImageStore(options: S3ImageStoreOptions): S3ImageStore {
  const { bucket } = options;
  const expiresIn = options.urlExpiresInSeconds ?? 3600;
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > 604_800)
    throw new ValidationError('urlExpiresInSeconds', 'must be a whole number of seconds from 1 to 604800');
  if (!options.region) throw new ValidationError('region', 'is required (use "auto" for R2)');
  if (!options.accessKeyId || !options.secretAccessKey) throw new ValidationError('accessKeyId', 'and secretAccessKey are required');
  const urls = createObjectUrls({
    endpoint: options.endpoint,
    bucket,
    keyPrefix: options.keyPrefix ?? '',
    forcePathStyle: options.forcePathStyle ?? false,
    publicBaseUrl: options.publicBaseUrl,
  });
  const client = new AwsClient({
    accessKeyId: options.accessKeyId,
    secretAccessKey: options.secretAccessKey,
    ...(options.sessionToken ? { sessionToken: options.sessionToken } : {}),
    service: 's3',
    region: options.region,
  });
  const send = options.fetch ?? globalThis.fetch;

  async function request(operation: string, key: string, init: RequestInit): Promise<Response> {
    const signed = await client.sign(urls.objectUrl(key), init);
    try {
      return await send(signed);
    } catch (error) {
      throw S3RequestError.unreachable(operation, bucket, urls.objectKey(key), error);
    }
  }
  const fail = (operation: string, key: string, response: Response) =>
    S3RequestError.fromResponse(operation, bucket, urls.objectKey(key), response);

  async function urlFor(key: string): Promise<string> {
    assertImageKey(key);
    const publicUrl = urls.publicUrl(key);
    if (publicUrl !== undefined) return publicUrl;
    const url = new URL(urls.objectUrl(key));
    url.searchParams.set('X-Amz-Expires', String(expiresIn));
    const signed = await client.sign(url.href, { method: 'GET', aws: { signQuery: true } });
    return signed.url;
  }

  return {
    bucket,
    urlFor,
    async put(bytes, put) {
      const key = put.key ?? newImageKey(put.contentType);
      assertImageKey(key);
      const response = await request('PUT', key, {
        method: 'PUT',
        // A SharedArrayBuffer-backed view is not a BodyInit in the DOM types; S3 bodies never are.
        body: bytes as Uint8Array<ArrayBuffer>,
        headers: { 'Content-Type': put.contentType, [OWNER_HEADER]: encodeURIComponent(put.owner) },
      });
      if (!response.ok) throw await fail('PUT', key, response);
      await response.body?.cancel();
      return { key, url: await urlFor(key), contentType: put.contentType, size: bytes.byteLength };
    },
    async get(key) {
      if (!isValidImageKey(key)) return null;
      const response = await request('GET', key, { method: 'GET' });
      if (response.status === 404) {
        await response.body?.cancel();
        return null;
      }
      if (!response.ok) throw await fail('GET', key, response);
      const owner = response.headers.get(OWNER_HEADER);
      const bytes = new Uint8Array(await response.arrayBuffer());
      // An object this store did not write (no owner) is not one of its images.
      if (owner === null) return null;
      return { bytes, contentType: response.headers.get('Content-Type') ?? 'application/octet-stream', owner: decodeOwner(owner) };
    },
    async delete(key) {
      if (!isValidImageKey(key)) return;
      const response = await request('DELETE', key, { method: 'DELETE' });
      // S3 answers 204 whether or not the object existed; some servers answer 404 for a missing one.
      if (!response.ok && response.status !== 404) throw await fail('DELETE', key, response);
      await response.body?.cancel();
    },
    keyFromUrl: urls.keyFromUrl,
  };
}

function decodeOwner(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
