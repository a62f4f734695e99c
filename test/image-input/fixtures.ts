import { crc32 } from 'node:zlib';
import sharp from 'sharp';

/** A small real image in each accepted format (and the WebP variants: lossy, lossless, extended). */
export async function makeImage(
  format: 'png' | 'jpeg' | 'webp' | 'webp-lossless' | 'webp-alpha',
  width = 40,
  height = 30,
): Promise<Uint8Array> {
  const channels = format === 'webp-alpha' ? 4 : 3;
  const base = sharp({ create: { width, height, channels, background: { r: 200, g: 60, b: 20, alpha: 0.5 } } });
  const out =
    format === 'png'
      ? base.png()
      : format === 'jpeg'
        ? base.jpeg()
        : format === 'webp-lossless'
          ? base.webp({ lossless: true })
          : base.webp({ quality: 80 });
  return new Uint8Array(await out.toBuffer());
}

/** A PNG header claiming `width`×`height` (valid signature, IHDR and CRC) followed by filler. */
export function pngHeader(width: number, height: number, filler = 64): Uint8Array {
  const ihdr = Buffer.alloc(17);
  ihdr.write('IHDR', 0, 'latin1');
  ihdr.writeUInt32BE(width, 4);
  ihdr.writeUInt32BE(height, 8);
  ihdr.set([8, 2, 0, 0, 0], 12);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(13);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(ihdr));
  return new Uint8Array(
    Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), length, ihdr, crc, Buffer.alloc(filler)]),
  );
}

export const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
