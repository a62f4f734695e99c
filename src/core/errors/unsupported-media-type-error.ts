import { ImageGenError } from './image-gen-error.js';

/** A file that is not one of the accepted image types (decided by its bytes). */
export class UnsupportedMediaTypeError extends ImageGenError {
  constructor(message = 'Unsupported image: send a JPEG, PNG or WebP file', details: Record<string, unknown> = {}) {
    super('unsupported_media_type', 415, message, details);
    this.name = 'UnsupportedMediaTypeError';
  }
}
