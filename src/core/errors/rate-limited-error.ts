import { ImageGenError } from './image-gen-error.js';

/** Too many requests; `retryAfterSeconds` when known. */
export class RateLimitedError extends ImageGenError {
  readonly retryAfterSeconds: number | undefined;
  constructor(message = 'Too many requests: slow down and try again', retryAfterSeconds?: number) {
    super('rate_limited', 429, message, retryAfterSeconds === undefined ? {} : { retry_after: retryAfterSeconds });
    this.name = 'RateLimitedError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
