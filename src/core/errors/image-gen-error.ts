/** Stable machine codes carried by every error this library throws. */
export type ErrorCode =
  | 'validation'
  | 'unauthorized'
  | 'not_found'
  | 'insufficient_credits'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'provider_error'
  | 'timeout';

const brand = Symbol.for('imagegen-kit.error');

/**
 * Base class of every domain error. `code` is stable and machine-readable; `status` is the HTTP
 * status the handler answers with; `details` holds the extra fields of the JSON error body.
 */
export class ImageGenError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown>;
  readonly [brand] = true;

  constructor(code: ErrorCode, status: number, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageGenError';
    this.code = code;
    this.status = status;
    this.details = details;
  }

  /** The JSON error body of the contract: `{ error, code, ...details }`. */
  toJSON(): { error: string; code: ErrorCode } & Record<string, unknown> {
    return { error: this.message, code: this.code, ...this.details };
  }
}

/** True for errors of this library, also when two copies of it are loaded. */
export function isImageGenError(value: unknown): value is ImageGenError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}
