import sharp from 'sharp';
import type { OfflineEncoder } from './png.js';

/** PNG, JPEG and WebP with sharp, and image-to-image inputs decoded with it. */
export const sharpEncoder: OfflineEncoder = {
  formats: ['png', 'jpeg', 'webp'],
  async encode(rgb, width, height, format) {
    const image = sharp(rgb, { raw: { width, height, channels: 3 } });
    const bytes = await (format === 'jpeg'
      ? image.jpeg({ quality: 85 })
      : format === 'webp'
        ? image.webp({ quality: 80 })
        : image.png()
    ).toBuffer();
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  },
  async decodeRgb(bytes, width, height) {
    const raw = await sharp(bytes).resize(width, height, { fit: 'cover' }).removeAlpha().raw().toBuffer();
    return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  },
};
