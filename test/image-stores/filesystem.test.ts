import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFilesystemImageStore } from '../../src/adapters/image-stores/filesystem/index.js';
import { runImageStoreSuite } from './image-store-suite.js';

const dirs: string[] = [];
const freshDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'imagegen-fs-store-'));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

runImageStoreSuite('filesystem', async () =>
  createFilesystemImageStore({ directory: await freshDir(), baseUrl: 'https://cdn.example/img/' }),
);

describe('filesystem image store', () => {
  it('keeps images across instances (a restart): the same directory reads the same bytes, type and owner', async () => {
    const directory = await freshDir();
    const first = createFilesystemImageStore({ directory });
    const stored = await first.put(new Uint8Array([1, 2, 3]), { contentType: 'image/webp', owner: 'dave' });
    expect(stored.url).toBe(`/api/images/${stored.key}`);
    const second = createFilesystemImageStore({ directory });
    expect(await second.get(stored.key)).toEqual({ bytes: new Uint8Array([1, 2, 3]), contentType: 'image/webp', owner: 'dave' });
  });

  it('writes through temporary files renamed into place: concurrent writes of one key leave one whole version and no temp files', async () => {
    const directory = await freshDir();
    const store = createFilesystemImageStore({ directory });
    const versions = Array.from({ length: 8 }, (_, i) => new Uint8Array(64 * 1024).fill(i + 1));
    await Promise.all(versions.map((bytes) => store.put(bytes, { contentType: 'image/png', owner: 'erin', key: 'same.png' })));
    const read = await store.get('same.png');
    expect(read!.bytes.byteLength).toBe(64 * 1024);
    expect(new Set(read!.bytes).size).toBe(1);
    expect(await readdir(join(directory, '.tmp'))).toEqual([]);
    expect((await readdir(directory)).sort()).toEqual(['.meta', '.tmp', 'same.png']);
  });
});
