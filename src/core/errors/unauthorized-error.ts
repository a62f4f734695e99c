import { ImageGenError } from './image-gen-error.js';

/** Missing or invalid credentials. */
export class UnauthorizedError extends ImageGenError {
  constructor(message = 'Sign in first: the request has no valid bearer token') {
    super('unauthorized', 401, message);
    this.name = 'UnauthorizedError';
  }
}
