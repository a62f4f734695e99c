import { ImageGenError } from './image-gen-error.js';

/** The provider did not finish within the allowed time. */
export class TimeoutError extends ImageGenError {
  constructor(message = 'The image provider did not finish in time', details: Record<string, unknown> = {}) {
    super('timeout', 504, message, details);
    this.name = 'TimeoutError';
  }
}
