/**
 * The parts provider adapters are built from: key pool, retries, requests, downloads, request
 * refs, and the inbox webhooks deliver final statuses to.
 */
export * from './key-pool.js';
export * from './http-status-error.js';
export * from './send-request.js';
export * from './retry.js';
export * from './download.js';
export * from './request-ref.js';
export * from './provider-http.js';
export * from './status-inbox.js';
export * from './image-type.js';
export * from './aspect-ratio.js';
export * from './http-provider-adapter.js';
