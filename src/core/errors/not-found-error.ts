import { ImageGenError } from './image-gen-error.js';

/** Unknown object, or one that belongs to another user (never revealed as such). */
export class NotFoundError extends ImageGenError {
  constructor(what: string, id?: string) {
    super('not_found', 404, id ? `${what} not found: ${id}` : `${what} not found`, id ? { id } : {});
    this.name = 'NotFoundError';
  }
}
