import { ImageGenError } from './image-gen-error.js';

/** Bad input: `field` names what is wrong (a dotted path such as `prompts.2`). */
export class ValidationError extends ImageGenError {
  readonly field: string;
  constructor(field: string, message: string, details: Record<string, unknown> = {}) {
    super('validation', 400, field ? `${field}: ${message}` : message, { field, ...details });
    this.name = 'ValidationError';
    this.field = field;
  }
}
