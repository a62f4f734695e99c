import { isImageGenApiError } from '../../src/client/index.js';

/** A sentence a person can act on, for any failure. */
export function describeError(error: unknown): string {
  if (!isImageGenApiError(error)) return error instanceof Error ? error.message : String(error);
  switch (error.code) {
    case 'insufficient_credits':
      return `Not enough credits: this needs ${error.details.required} and you have ${error.details.available}.`;
    case 'unsupported_media_type':
      return 'That file is not an image we can use: choose a JPEG, PNG or WebP file.';
    case 'network':
    case 'network_timeout':
      return 'Cannot reach the server. Check your connection and try again.';
    case 'unauthorized':
      return 'Your session has ended: sign in again.';
    default:
      return error.message;
  }
}
