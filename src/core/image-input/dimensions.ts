import { ascii } from './sniff.js';
import type { ImageType } from './limits.js';

export interface ImageDimensions {
  width: number;
  height: number;
}

/**
 * Width and height read from the header of a JPEG, PNG or WebP file, without decoding it; null
 * when the header is not well formed (truncated, wrong chunk order, bad checksum, no frame).
 */
export function readImageDimensions(bytes: Uint8Array, type: ImageType): ImageDimensions | null {
  switch (type) {
    case 'image/png':
      return pngDimensions(bytes);
    case 'image/jpeg':
      return jpegDimensions(bytes);
    case 'image/webp':
      return webpDimensions(bytes);
  }
}

const u16be = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;
const u32be = (b: Uint8Array, o: number) => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
const u16le = (b: Uint8Array, o: number) => b[o]! | (b[o + 1]! << 8);
const u24le = (b: Uint8Array, o: number) => b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16);
const u32le = (b: Uint8Array, o: number) => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

/** PNG: the first chunk must be IHDR (13 bytes) with a correct CRC. */
function pngDimensions(b: Uint8Array): ImageDimensions | null {
  if (b.length < 33 || u32be(b, 8) !== 13 || ascii(b, 12, 4) !== 'IHDR') return null;
  if (crc32(b, 12, 17) !== u32be(b, 29)) return null;
  const width = u32be(b, 16);
  const height = u32be(b, 20);
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) return null;
  return { width, height };
}

/** JPEG: walks the marker segments from SOI to the first SOFn frame header. */
function jpegDimensions(b: Uint8Array): ImageDimensions | null {
  let o = 2;
  while (o + 4 <= b.length) {
    if (b[o] !== 0xff) return null;
    let marker = b[o + 1]!;
    // Fill bytes: any number of 0xFF before a marker.
    while (marker === 0xff && o + 2 < b.length) {
      o++;
      marker = b[o + 1]!;
    }
    o += 2;
    // Markers without a length.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    // End of image or start of scan before any frame header: not a usable JPEG.
    if (marker === 0xd9 || marker === 0xda || marker === 0xd8 || marker === 0x00) return null;
    if (o + 2 > b.length) return null;
    const length = u16be(b, o);
    if (length < 2 || o + length > b.length) return null;
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (length < 8) return null;
      const height = u16be(b, o + 3);
      const width = u16be(b, o + 5);
      // Height 0 (defined later by DNL) is legal but rare; refuse it rather than decode to find out.
      if (width === 0 || height === 0) return null;
      return { width, height };
    }
    o += length;
  }
  return null;
}

/** WebP: RIFF container with a VP8 (lossy), VP8L (lossless) or VP8X (extended) first chunk. */
function webpDimensions(b: Uint8Array): ImageDimensions | null {
  if (b.length < 30) return null;
  const riffSize = u32le(b, 4);
  if (riffSize < 4 || riffSize + 8 > b.length + 1) return null;
  const chunk = ascii(b, 12, 4);
  const chunkSize = u32le(b, 16);
  if (20 + chunkSize > b.length + 1) return null;
  const d = 20;
  if (chunk === 'VP8 ') {
    if (chunkSize < 10 || b[d + 3] !== 0x9d || b[d + 4] !== 0x01 || b[d + 5] !== 0x2a) return null;
    const width = u16le(b, d + 6) & 0x3fff;
    const height = u16le(b, d + 8) & 0x3fff;
    return width && height ? { width, height } : null;
  }
  if (chunk === 'VP8L') {
    if (chunkSize < 5 || b[d] !== 0x2f) return null;
    const bits = u32le(b, d + 1);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') {
    if (chunkSize < 10) return null;
    return { width: u24le(b, d + 4) + 1, height: u24le(b, d + 7) + 1 };
  }
  return null;
}

let crcTable: Uint32Array | undefined;
function crc32(b: Uint8Array, offset: number, length: number): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = offset; i < offset + length; i++) crc = crcTable[(crc ^ b[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
