import type { UploadResponse } from '../schemas/responses.js';
import { checkImage } from './check.js';
import { toDataUrl } from './data-url.js';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from './limits.js';

/** The upload response of the contract, without its `message`. */
export type UploadedImage = Omit<UploadResponse, 'message'>;

/**
 * Checks an uploaded file (size, type by its bytes, declared type, dimensions) and returns it as
 * a data URL that `input_image` accepts.
 *
 * @param declaredType The type the client declared (multipart part header); refused when the bytes disagree.
 * @example
 * const { data_url, size, type } = uploadImage(bytes, 'image/png');
 */
export function uploadImage(bytes: Uint8Array, declaredType?: string | null, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): UploadedImage {
  const image = checkImage(bytes, declaredType, limits);
  return { data_url: toDataUrl(image.bytes, image.type), size: image.size, type: image.type };
}
