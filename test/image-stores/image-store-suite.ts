import { describe, expect, it } from 'vitest';
import type { ImageStore } from '../../src/core/ports/image-store.js';

/**
 * What every ImageStore must do; each store's test file runs it with a factory. `atOneMoment` runs
 * steps that must see one instant of the clock, for a store that makes its URLs with the time (S3
 * presigns them with the current second); by default it just runs them (the suite is also bundled
 * into workerd, where `vi` is not available).
 */
export function runImageStoreSuite(
  name: string,
  factory: () => Promise<ImageStore>,
  atOneMoment: <T>(steps: () => Promise<T>) => Promise<T> = (steps) => steps(),
): void {
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
      // Both writes at one moment: two writes across a second boundary got different S3 URLs. What
      // is tested here is the overwrite, not the clock.
      const [a, b] = await atOneMoment(async () => [
        await store.put(bytes(10, 1), { contentType: 'image/webp', owner: 'bob', key: 'task-1.webp' }),
        await store.put(bytes(20, 2), { contentType: 'image/webp', owner: 'bob', key: 'task-1.webp' }),
      ]);
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
