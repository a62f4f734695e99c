import { describe, expect, it } from 'vitest';
import { createR2ImageStore, type R2BucketLike } from '../../src/adapters/image-stores/r2/index.js';
import { runImageStoreSuite } from './image-store-suite.js';

/** An R2 binding in memory, with the metadata R2 keeps (the workerd run uses Miniflare's real one: test/workers). */
function memoryBucket(): R2BucketLike & { keys(): string[] } {
  const objects = new Map<
    string,
    { bytes: Uint8Array; httpMetadata?: { contentType?: string }; customMetadata?: Record<string, string> }
  >();
  return {
    keys: () => [...objects.keys()],
    async put(key, value, options) {
      const bytes = new Uint8Array(
        value instanceof ArrayBuffer ? value : value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength),
      );
      objects.set(key, { bytes, ...options });
    },
    async get(key) {
      const o = objects.get(key);
      return o ? { ...o, arrayBuffer: async () => o.bytes.slice().buffer } : null;
    },
    async delete(key) {
      objects.delete(key);
    },
  };
}

runImageStoreSuite('r2 binding (in-memory bucket)', async () => createR2ImageStore({ bucket: memoryBucket() }));

describe('R2-binding image store', () => {
  it('names objects with the key prefix, and with publicBaseUrl answers public URLs from urlFor', async () => {
    const bucket = memoryBucket();
    const store = createR2ImageStore({ bucket, keyPrefix: 'images/', publicBaseUrl: 'https://img.example.com/' });
    const stored = await store.put(new Uint8Array([1, 2, 3]), { contentType: 'image/png', owner: 'alice', key: 'k1.png' });
    expect(bucket.keys()).toEqual(['images/k1.png']);
    expect(stored.url).toBe('/api/images/k1.png');
    expect(await store.urlFor!('k1.png')).toBe('https://img.example.com/images/k1.png');
    await expect(store.urlFor!('../x.png')).rejects.toThrow();
  });

  it('has no urlFor without publicBaseUrl (the handler signs and serves the images), and ignores objects it did not write', async () => {
    const bucket = memoryBucket();
    const store = createR2ImageStore({ bucket });
    expect(store.urlFor).toBeUndefined();
    await bucket.put('foreign.png', new Uint8Array([9]), { httpMetadata: { contentType: 'image/png' } });
    expect(await store.get('foreign.png')).toBeNull();
  });
});
