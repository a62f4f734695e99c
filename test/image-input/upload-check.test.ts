import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError, UnsupportedMediaTypeError } from '../../src/core/errors/index.js';
import { checkImage, readImageDimensions, sniffImageType, uploadImage, DEFAULT_IMAGE_LIMITS } from '../../src/core/image-input/index.js';
import { makeImage, pngHeader } from './fixtures.js';

describe('upload check', () => {
  it.each([
    ['png', 'image/png'],
    ['jpeg', 'image/jpeg'],
    ['webp', 'image/webp'],
    ['webp-lossless', 'image/webp'],
    ['webp-alpha', 'image/webp'],
  ] as const)('accepts %s and reads its size from the header', async (format, type) => {
    const bytes = await makeImage(format, 40, 30);
    const checked = checkImage(bytes, type);
    expect(checked).toMatchObject({ type, size: bytes.byteLength, width: 40, height: 30 });
    expect(sniffImageType(bytes)).toBe(type);
  });

  it('decides the type by the bytes when nothing (or octet-stream) is declared', async () => {
    const bytes = await makeImage('jpeg');
    expect(checkImage(bytes).type).toBe('image/jpeg');
    expect(checkImage(bytes, 'application/octet-stream').type).toBe('image/jpeg');
    expect(checkImage(bytes, 'image/jpg').type).toBe('image/jpeg');
  });

  it('refuses a PNG declared as image/jpeg with 415', async () => {
    const png = await makeImage('png');
    const error = catchError(() => checkImage(png, 'image/jpeg'));
    expect(error).toBeInstanceOf(UnsupportedMediaTypeError);
    expect(error).toMatchObject({ status: 415, details: { declared_type: 'image/jpeg', detected_type: 'image/png' } });
  });

  it('refuses HTML and SVG that start with a JPEG header', () => {
    const jfif = [0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00];
    for (const text of ['<html><script>alert(1)</script></html>', '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>']) {
      const bytes = new Uint8Array([...jfif, ...new TextEncoder().encode(text)]);
      expect(catchError(() => checkImage(bytes))).toBeInstanceOf(UnsupportedMediaTypeError);
      expect(catchError(() => checkImage(bytes, 'image/jpeg'))).toBeInstanceOf(UnsupportedMediaTypeError);
      expect(catchError(() => checkImage(bytes, 'text/html'))).toBeInstanceOf(UnsupportedMediaTypeError);
    }
  });

  it('refuses plain HTML, SVG and GIF files by their bytes', () => {
    for (const text of ['<!doctype html><html></html>', '<svg xmlns="http://www.w3.org/2000/svg"/>', 'GIF89a\x01\x00\x01\x00']) {
      expect(catchError(() => checkImage(new TextEncoder().encode(text), 'image/png'))).toBeInstanceOf(UnsupportedMediaTypeError);
    }
  });

  it('refuses 10 MiB + 1 byte with 413 before looking at the content, and accepts exactly 10 MiB of PNG', async () => {
    const png = await makeImage('png');
    const exact = new Uint8Array(DEFAULT_IMAGE_LIMITS.maxBytes);
    exact.set(png);
    expect(checkImage(exact).size).toBe(10 * 1024 * 1024);
    const over = new Uint8Array(10 * 1024 * 1024 + 1);
    over.set(png);
    const error = catchError(() => checkImage(over));
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(error).toMatchObject({ status: 413, details: { limit: 10 * 1024 * 1024 } });
  });

  it('refuses a 14000×14000 PNG of a few hundred bytes from its header alone', () => {
    const bomb = pngHeader(14000, 14000, 300);
    expect(bomb.byteLength).toBeLessThan(1000);
    const started = performance.now();
    const error = catchError(() => checkImage(bomb, 'image/png'));
    expect(performance.now() - started).toBeLessThan(50);
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(error).toMatchObject({ status: 413, details: { unit: 'pixels', width: 14000, height: 14000 } });
  });

  it('applies configurable pixel and side limits', async () => {
    const bytes = await makeImage('webp', 300, 200);
    expect(() => checkImage(bytes, null, { ...DEFAULT_IMAGE_LIMITS, maxPixels: 59_999 })).toThrow(PayloadTooLargeError);
    expect(() => checkImage(bytes, null, { ...DEFAULT_IMAGE_LIMITS, maxSide: 299 })).toThrow(PayloadTooLargeError);
    expect(checkImage(bytes, null, { ...DEFAULT_IMAGE_LIMITS, maxPixels: 60_000, maxSide: 300 }).width).toBe(300);
  });

  it('refuses a PNG whose IHDR checksum is wrong and a truncated JPEG', async () => {
    const png = pngHeader(10, 10);
    png[30] = png[30]! ^ 0xff;
    expect(readImageDimensions(png, 'image/png')).toBeNull();
    expect(() => checkImage(png)).toThrow(UnsupportedMediaTypeError);
    const jpeg = await makeImage('jpeg');
    expect(() => checkImage(jpeg.slice(0, 40))).toThrow(UnsupportedMediaTypeError);
  });

  it('reads JPEG sizes from a progressive frame header after large metadata segments', async () => {
    const jpeg = new Uint8Array(
      await sharp({ create: { width: 123, height: 45, channels: 3, background: 'blue' } })
        .withMetadata({ exif: { IFD0: { ImageDescription: 'x'.repeat(5000) } } })
        .jpeg({ progressive: true })
        .toBuffer(),
    );
    expect(readImageDimensions(jpeg, 'image/jpeg')).toEqual({ width: 123, height: 45 });
  });

  it('uploadImage returns the contract upload response as a data URL that round-trips', async () => {
    const bytes = await makeImage('webp');
    const uploaded = uploadImage(bytes, 'image/webp');
    expect(uploaded).toEqual({
      data_url: `data:image/webp;base64,${Buffer.from(bytes).toString('base64')}`,
      size: bytes.byteLength,
      type: 'image/webp',
    });
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
