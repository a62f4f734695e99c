import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { createOfflineProvider } from '../../src/adapters/providers/offline/index.js';
import type { GenerationInput, ImageBytes } from '../../src/core/ports/provider-adapter.js';

const provider = createOfflineProvider({ size: 96, pollsBeforeReady: 0 });
let input: ImageBytes;

/** An input unlike anything the offline renderer paints: a checkerboard, 300×200. */
beforeAll(async () => {
  const width = 300;
  const height = 200;
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) raw.fill(((x >> 4) + (y >> 4)) % 2 ? 250 : 5, (y * width + x) * 3, (y * width + x) * 3 + 3);
  input = {
    bytes: new Uint8Array(
      await sharp(raw, { raw: { width, height, channels: 3 } })
        .png()
        .toBuffer(),
    ),
    contentType: 'image/png',
  };
});

async function generate(
  overrides: Partial<GenerationInput>,
): Promise<{ pixels: Buffer; width: number; height: number; format: string | undefined; contentType: string }> {
  const submitted = await provider.submit(
    { prompt: 'a lighthouse at dusk', aspectRatio: '16:9', seed: 3, outputFormat: 'png', ...overrides },
    { signal: new AbortController().signal },
  );
  const status = submitted.status!;
  if (status.state !== 'succeeded' || !('bytes' in status.output)) throw new Error('expected bytes');
  const { data, info } = await sharp(status.output.bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const meta = await sharp(status.output.bytes).metadata();
  return { pixels: data, width: info.width, height: info.height, format: meta.format, contentType: status.output.contentType };
}

const meanAbsDiff = (a: Buffer, b: Buffer) => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
};

describe('offline provider, image-to-image', () => {
  it('strength 1 keeps the input, resized (cover) to the requested aspect ratio', async () => {
    const out = await generate({ inputImage: input, imagePromptStrength: 1 });
    expect([out.width, out.height]).toEqual([96, 56]);
    const expected = await sharp(input.bytes).resize(96, 56, { fit: 'cover' }).removeAlpha().raw().toBuffer();
    expect(meanAbsDiff(out.pixels, expected)).toBeLessThan(1);
  });

  it('strength 0 ignores the input: the same picture as text-to-image', async () => {
    const withInput = await generate({ inputImage: input, imagePromptStrength: 0 });
    const textOnly = await generate({});
    expect(withInput.pixels.equals(textOnly.pixels)).toBe(true);
  });

  it('strength 0.5 is visibly a blend of both', async () => {
    const half = await generate({ inputImage: input, imagePromptStrength: 0.5 });
    const textOnly = await generate({});
    const inputOnly = await generate({ inputImage: input, imagePromptStrength: 1 });
    const mid = Buffer.from(textOnly.pixels.map((v, i) => Math.round((v + inputOnly.pixels[i]!) / 2)));
    expect(meanAbsDiff(half.pixels, mid)).toBeLessThan(1.5);
    expect(meanAbsDiff(half.pixels, textOnly.pixels)).toBeGreaterThan(20);
    expect(meanAbsDiff(half.pixels, inputOnly.pixels)).toBeGreaterThan(20);
  });

  it.each([
    ['jpeg', 'image/jpeg'],
    ['webp', 'image/webp'],
    ['png', 'image/png'],
  ] as const)('answers in the requested format %s', async (format, contentType) => {
    const out = await generate({ inputImage: input, imagePromptStrength: 0.8, outputFormat: format, aspectRatio: '3:4' });
    expect(out).toMatchObject({ format, contentType, width: 72, height: 96 });
  });
});
