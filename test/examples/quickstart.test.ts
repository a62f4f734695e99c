import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

describe('the quickstart (npm run quickstart)', () => {
  it('runs two batches to completion, an image-to-image on one result, writes decodable images to ./output and prints the ledger', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'quickstart-'));
    try {
      const { stdout } = await promisify(execFile)(join(root, 'node_modules/.bin/tsx'), [join(root, 'examples/quickstart/main.ts')], {
        cwd,
        timeout: 90_000,
      });
      expect(stdout).toMatch(/\[#{30}\] completed/);
      expect(stdout).toContain('Credit ledger');
      expect(stdout).toMatch(/Balance: \d+ credits/);
      const files = await readdir(join(cwd, 'output'));
      const batchImages = files.filter((f) => f.startsWith('batch_'));
      expect(batchImages).toHaveLength(7);
      for (const file of files) {
        const meta = await sharp(await readFile(join(cwd, 'output', file))).metadata();
        expect(meta.width, file).toBeGreaterThan(0);
        expect(['png', 'webp', 'jpeg']).toContain(meta.format);
      }
      expect(batchImages.filter((f) => f.endsWith('.png'))).toHaveLength(3);
      const transformed = files.filter((f) => f.startsWith('record_demo_'));
      expect(transformed).toHaveLength(1);
      expect(transformed[0]).toMatch(/\.jpg$/);
      expect(await sharp(await readFile(join(cwd, 'output', transformed[0]!))).metadata()).toMatchObject({
        format: 'jpeg',
        width: 512,
        height: 512,
      });
      expect(stdout).toMatch(/image_to_image|Image-to-image/);
      expect(stdout).toMatch(/charge\s+-2/);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  }, 120_000);
});
