/**
 * imagegen-kit/client: a typed client of the HTTP API (ky, and a small check of every answer), for browsers and Node.
 */
export { createClient, type ClientOptions, type ChargeCallOptions, type PageOptions, type ImageGenClient } from './create-client.js';
export { ImageGenApiError, isImageGenApiError } from './errors.js';
export { parseEventStream, type ServerSentEvent } from './sse.js';
export { newIdempotencyKey } from './idempotency-key.js';
export type { WaitForBatchOptions, WatchBatchOptions } from './batch-watch.js';
export type * from '../core/schemas/index.js';
