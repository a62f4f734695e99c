import { ImageGenError } from './image-gen-error.js';

/** Why a provider failed a generation. */
export type ProviderFailureReason =
  | 'moderated_input'
  | 'moderated_output'
  | 'provider_error'
  | 'not_found'
  | 'invalid_response'
  | 'unauthorized'
  | 'store_failed';

/** The image provider failed or refused the generation. */
export class ProviderError extends ImageGenError {
  readonly reason: ProviderFailureReason;
  constructor(reason: ProviderFailureReason, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('provider_error', 502, message, { reason, ...details }, options);
    this.name = 'ProviderError';
    this.reason = reason;
  }
}
