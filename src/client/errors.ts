const brand = Symbol.for('imagegen-kit.api-error');

/**
 * The one error the client throws: the HTTP `status` (0 when no answer arrived), the server's
 * machine `code` (`validation`, `insufficient_credits`, … or `network`, `invalid_response` from
 * the client itself) and the other fields of the error body in `details` (`field`, `required`,
 * `available`, `retry_after`…).
 */
export class ImageGenApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;
  readonly [brand] = true;
  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageGenApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** True for errors of this client, also when two copies of it are loaded. */
export function isImageGenApiError(value: unknown): value is ImageGenApiError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}
