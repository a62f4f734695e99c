import type { ImageStore } from '../../../core/ports/image-store.js';
import { imageKeyFromUrl, imageUrlOf, newImageKey } from '../../../core/image-keys.js';

export interface MemoryImageStoreOptions {
  /** Prefix of the URLs handed out; the HTTP handler serves `GET {baseUrl}/{key}`. @default '/api/images' */
  baseUrl?: string;
}

/** Images in this process's memory: for tests and demos. Lost on restart. */
export function createMemoryImageStore(options: MemoryImageStoreOptions = {}): ImageStore & { readonly size: number } {
  const baseUrl = options.baseUrl ?? '/api/images';
  const images = new Map<string, { bytes: Uint8Array; contentType: string; owner: string }>();
  return {
    get size() {
      return images.size;
    },
    async put(bytes, put) {
      const key = put.key ?? newImageKey(put.contentType);
      const url = imageUrlOf(baseUrl, key); // throws on an unsafe key, before anything is kept
      images.set(key, { bytes, contentType: put.contentType, owner: put.owner });
      return { key, url, contentType: put.contentType, size: bytes.byteLength };
    },
    async get(key) {
      return images.get(key) ?? null;
    },
    async delete(key) {
      images.delete(key);
    },
    keyFromUrl(url) {
      return imageKeyFromUrl(baseUrl, url);
    },
  };
}
