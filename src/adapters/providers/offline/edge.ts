import { pngEncoder } from './png.js';
import { createOfflineProviderWith, type OfflineProviderOptions } from './provider.js';

export type { OfflineFailure, OfflineProviderOptions } from './provider.js';
export { encodePng } from './png.js';

/**
 * The offline provider without native code or Node APIs, for Cloudflare Workers and other edge
 * runtimes: real PNGs (CompressionStream) with no network and no key; PNG only, no image-to-image.
 *
 * @example
 * const provider = createEdgeOfflineProvider({ latencyMs: 2500 });
 */
export function createEdgeOfflineProvider(options: OfflineProviderOptions = {}) {
  return createOfflineProviderWith(pngEncoder, options);
}
