/**
 * imagegen-kit/adapters/http: a Web-standard `Request -> Response` handler for every endpoint of
 * the contract, and its OpenAPI document.
 */
export { createRequestHandler, type RequestHandler } from './create-request-handler.js';
export { buildOpenApiDocument, type OpenApiOptions } from './openapi/build-document.js';
export type { RequestHandlerOptions, HttpEngine, AuthenticatedUser, CorsOptions } from './options.js';
export type { ProgressEventData } from './batch-events.js';
export { createWindowRateLimiter } from './rate-limit.js';
export {
  createAdminHandler,
  buildAdminOpenApiDocument,
  type AdminHandlerOptions,
  type AdminEngine,
  type AdminAuditEntry,
} from './admin/index.js';
export { createHealthHandler, type HealthHandlerOptions } from './health.js';
