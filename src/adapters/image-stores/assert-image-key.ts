import { ValidationError } from '../../core/errors/validation-error.js';
import { isValidImageKey } from '../../core/image-keys.js';

/** Throws a ValidationError for a key no image store accepts (see `isValidImageKey`). */
export function assertImageKey(key: string): void {
  if (!isValidImageKey(key))
    throw new ValidationError(
      'key',
      'must be 1–200 characters of letters, digits and . _ @ + - starting with a letter or digit, without ".."',
    );
}
