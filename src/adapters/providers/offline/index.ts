import { createOfflineProviderWith, type OfflineProviderOptions } from './provider.js';
import { sharpEncoder } from './sharp-encoder.js';

export type { OfflineFailure, OfflineProviderOptions } from './provider.js';
export type { OfflineEncoder } from './png.js';

/**
 * The offline provider with sharp: real PNG, JPEG and WebP images with no network and no key,
 * and image-to-image. On Cloudflare Workers use `imagegen-kit/adapters/providers/offline/edge`.
 */
export function createOfflineProvider(options: OfflineProviderOptions = {}) {
  return createOfflineProviderWith(sharpEncoder, options);
}
