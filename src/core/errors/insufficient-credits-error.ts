import { ImageGenError } from './image-gen-error.js';

/** A debit larger than the balance. Nothing was charged. */
export class InsufficientCreditsError extends ImageGenError {
  readonly required: number;
  readonly available: number;
  constructor(required: number, available: number) {
    super('insufficient_credits', 402, `Not enough credits: this needs ${required} and you have ${available}`, { required, available });
    this.name = 'InsufficientCreditsError';
    this.required = required;
    this.available = available;
  }
}
