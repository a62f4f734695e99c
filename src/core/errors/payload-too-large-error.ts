import { ImageGenError } from './image-gen-error.js';

/** A body or file over its size limit (`limit` in bytes). */
export class PayloadTooLargeError extends ImageGenError {
  constructor(limit: number, message = `Too large: the limit is ${limit} bytes`) {
    super('payload_too_large', 413, message, { limit });
    this.name = 'PayloadTooLargeError';
  }
}
