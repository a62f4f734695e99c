import { imageKeyFromUrl, imageUrlOf, isValidImageKey, newImageKey } from '../../../core/image-keys.js';
import type { ImageStore } from '../../../core/ports/image-store.js';
import { assertImageKey } from '../assert-image-key.js';

/** The part of a Worker's R2 binding (`env.IMAGES`, an `R2Bucket`) the store uses, typed structurally. */
export interface R2BucketLike {
  put(
    key: string,
    value: ArrayBuffer | ArrayBufferView,
    options?: { httpMetadata?: { contentType?: string }; customMetadata?: Record<string, string> },
  ): Promise<unknown>;
  get(key: string): Promise<{
    arrayBuffer(): Promise<ArrayBuffer>;
    httpMetadata?: { contentType?: string };
    customMetadata?: Record<string, string>;
  } | null>;
  delete(key: string): Promise<void>;
}

export interface R2ImageStoreOptions {
  /** The Worker's R2 binding. */
  bucket: R2BucketLike;
  /** Put before every image key to name its object, e.g. `images/`. @default '' */
  keyPrefix?: string;
  /** Prefix of the URLs kept in records; the HTTP handler serves `GET {baseUrl}/{key}` with signed URLs. @default '/api/images' */
  baseUrl?: string;
  /**
   * Base of public URLs when the bucket has a public (custom or r2.dev) domain: `urlFor` then
   * answers `{publicBaseUrl}/{keyPrefix}{key}` and browsers load images from R2 directly.
   */
  publicBaseUrl?: string;
}

/**
 * Images in Cloudflare R2 through the Worker's bucket binding: no credentials and no signing, the
 * object's content type in its HTTP metadata and the owner in its custom metadata. Without
 * `publicBaseUrl` the HTTP handler serves the bytes under signed URLs of its own, as for the
 * memory and filesystem stores. From outside a Worker use the S3 store with R2's S3 endpoint.
 *
 * @example
 * const images = createR2ImageStore({ bucket: env.IMAGES });
 */
export function createR2ImageStore(options: R2ImageStoreOptions): ImageStore {
  const { bucket } = options;
  const prefix = options.keyPrefix ?? '';
  const baseUrl = options.baseUrl ?? '/api/images';
  const publicBase = options.publicBaseUrl?.replace(/\/+$/, '');
  return {
    async put(bytes, put) {
      const key = put.key ?? newImageKey(put.contentType);
      const url = imageUrlOf(baseUrl, key); // throws on an unsafe key, before anything is written
      await bucket.put(`${prefix}${key}`, bytes, {
        httpMetadata: { contentType: put.contentType },
        customMetadata: { owner: put.owner },
      });
      return { key, url, contentType: put.contentType, size: bytes.byteLength };
    },
    async get(key) {
      if (!isValidImageKey(key)) return null;
      const object = await bucket.get(`${prefix}${key}`);
      const owner = object?.customMetadata?.owner;
      // An object this store did not write (no owner) is not one of its images.
      if (!object || owner === undefined) return null;
      return {
        bytes: new Uint8Array(await object.arrayBuffer()),
        contentType: object.httpMetadata?.contentType ?? 'application/octet-stream',
        owner,
      };
    },
    async delete(key) {
      if (isValidImageKey(key)) await bucket.delete(`${prefix}${key}`);
    },
    keyFromUrl: (url) => imageKeyFromUrl(baseUrl, url),
    ...(publicBase
      ? {
          async urlFor(key: string) {
            assertImageKey(key);
            return `${publicBase}/${prefix}${key}`;
          },
        }
      : {}),
  };
}
