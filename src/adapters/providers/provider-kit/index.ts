/** The HTTP layer shared by provider adapters: key pool, retries, downloads, request ids. */
export * from './key-pool.js';
export * from './http-status-error.js';
export * from './send-request.js';
export * from './retry.js';
export * from './download.js';
export * from './request-ref.js';
export * from './provider-http.js';
export * from './image-type.js';
export * from './aspect-ratio.js';
export * from './http-provider-adapter.js';
