import type { AspectRatio } from '../../../core/schemas/params.js';

/** Width and height for an aspect ratio whose longer side is `longSide`, rounded to multiples of 8. */
export function dimensionsFor(aspectRatio: AspectRatio, longSide: number): { width: number; height: number } {
  const [w, h] = aspectRatio.split(':').map(Number) as [number, number];
  const scale = longSide / Math.max(w, h);
  const round8 = (n: number) => Math.max(8, Math.round(n / 8) * 8);
  return { width: round8(w * scale), height: round8(h * scale) };
}
