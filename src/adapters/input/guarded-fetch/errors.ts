import { ValidationError } from '../../../core/errors/validation-error.js';

/** Why a URL was not fetched: the field is always `input_image`, `reason` is stable. */
export type FetchRefusal =
  | 'scheme'
  | 'credentials'
  | 'blocked_address'
  | 'dns'
  | 'connect_timeout'
  | 'timeout'
  | 'redirects'
  | 'http_status'
  | 'network';

export function fetchRefused(reason: FetchRefusal, message: string, details: Record<string, unknown> = {}): ValidationError {
  return new ValidationError('input_image', message, { reason, ...details });
}
