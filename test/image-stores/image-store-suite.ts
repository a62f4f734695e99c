import { describe, expect, it } from 'vitest';
import type { ImageStore } from '../../src/core/ports/image-store.js';

/** What every ImageStore must do; each store's test file runs it with a factory. */
export function runImageStoreSuite(name: string, factory: () => Promise<ImageStore>): void {
  describe(`ImageStore: ${name}`, () => {
    const bytes = (n: number, fill = 7) => new Uint8Array(n).fill(fill);

    it('returns a key and a URL under its base for the bytes, and reads them back with type and owner', async () => {
      const store = await factory();
      const stored = await store.put(bytes(100), { contentType: 'image/png', owner: 'alice' });
      expect(stored).toMatchObject({ contentType: 'image/png', size: 100 });
      expect(stored.key).toMatch(/\.png$/);
      expect(store.keyFromUrl(stored.url)).toBe(stored.key);
      const read = await store.get(stored.key);
      expect(read).toMatchObject({ contentType: 'image/png', owner: 'alice' });
      expect(Array.from(read!.bytes)).toEqual(Array.from(bytes(100)));
    });

    it('overwrites when the same stable key is written twice, instead of adding an image', async () => {
      const store = await factory();
      const a = await store.put(bytes(10, 1), { contentType: 'image/webp', owner: 'bob', key: 'task-1.webp' });
      const b = await store.put(bytes(20, 2), { contentType: 'image/webp', owner: 'bob', key: 'task-1.webp' });
      expect(b.url).toBe(a.url);
      const read = await store.get('task-1.webp');
      expect(read!.bytes.byteLength).toBe(20);
      expect(read!.bytes[0]).toBe(2);
    });

    it('refuses keys that could leave its namespace', async () => {
      const store = await factory();
      for (const key of ['../escape.png', 'a/b.png', '.meta', '..', '', 'x'.repeat(201), 'a\\b.png']) {
        await expect(store.put(bytes(1), { contentType: 'image/png', owner: 'eve', key })).rejects.toThrow();
        expect(await store.get(key)).toBeNull();
      }
    });

    it('reads unknown keys as null, forgets deleted images, and ignores URLs that are not its own', async () => {
      const store = await factory();
      expect(await store.get('missing.png')).toBeNull();
      const stored = await store.put(bytes(5), { contentType: 'image/jpeg', owner: 'carol' });
      await store.delete(stored.key);
      expect(await store.get(stored.key)).toBeNull();
      await store.delete(stored.key);
      expect(store.keyFromUrl('https://elsewhere.example/x.png')).toBeNull();
      expect(store.keyFromUrl(`${stored.url.slice(0, stored.url.lastIndexOf('/'))}/../etc/passwd`)).toBeNull();
    });
  });
}
