import { ImageGenError } from './image-gen-error.js';

/** The request conflicts with the current state (an idempotency key reused with another body, a task that is not in the expected state). */
export class ConflictError extends ImageGenError {
  readonly reason: string;
  constructor(reason: string, message: string, details: Record<string, unknown> = {}) {
    super('conflict', 409, message, { reason, ...details });
    this.name = 'ConflictError';
    this.reason = reason;
  }
}
