import type { AspectRatio } from '../../../core/schemas/params.js';

/**
 * Width and height for an aspect ratio at about `megapixels`, both multiples of `multiple`
 * (FLUX wants multiples of 16, at most 4 MP).
 */
export function sizeFor(aspectRatio: AspectRatio, megapixels = 1, multiple = 16): { width: number; height: number } {
  const [w, h] = aspectRatio.split(':').map(Number) as [number, number];
  const pixels = megapixels * 1024 * 1024;
  const height = Math.sqrt((pixels * h) / w);
  const round = (n: number) => Math.max(multiple, Math.round(n / multiple) * multiple);
  return { width: round((height * w) / h), height: round(height) };
}
