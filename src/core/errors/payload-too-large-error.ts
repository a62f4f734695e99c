import { ImageGenError } from './image-gen-error.js';

/**
 * A body or file over its size limit. `limit` is in bytes unless `details.unit` says otherwise
 * (an image whose dimensions are over the pixel limit: `unit: 'pixels'`).
 */
export class PayloadTooLargeError extends ImageGenError {
  constructor(limit: number, message = `Too large: the limit is ${limit} bytes`, details: Record<string, unknown> = {}) {
    super('payload_too_large', 413, message, { limit, ...details });
    this.name = 'PayloadTooLargeError';
  }
}
