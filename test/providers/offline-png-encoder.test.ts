import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { dimensionsFor } from '../../src/adapters/providers/offline/dimensions.js';
import { createEdgeOfflineProvider, encodePng } from '../../src/adapters/providers/offline/edge.js';

describe('the edge offline provider: PNGs without sharp, for Workers', () => {
  it('writes a PNG that decodes to the same pixels', async () => {
    const width = 5;
    const height = 3;
    const rgb = Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 37) % 256);
    const png = await encodePng(rgb, width, height);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect(info).toMatchObject({ width, height, channels: 3, format: 'raw' });
    expect(Array.from(data)).toEqual(Array.from(rgb));
  });

  it('makes PNGs, offers only PNG and no image-to-image', async () => {
    const provider = createEdgeOfflineProvider({ pollsBeforeReady: 0, size: 64 });
    expect(provider.capabilities).toMatchObject({ imageToImage: false, outputFormats: ['png'] });
    const submitted = await provider.submit(
      { prompt: 'a fox', aspectRatio: '16:9', seed: 7, outputFormat: 'png' },
      { signal: new AbortController().signal },
    );
    const status = submitted.status!;
    expect(status.state).toBe('succeeded');
    const output = (status as { output: { bytes: Uint8Array; contentType: string } }).output;
    expect(output.contentType).toBe('image/png');
    const meta = await sharp(output.bytes).metadata();
    expect(meta).toMatchObject({ format: 'png', ...dimensionsFor('16:9', 64) });
  });
});
