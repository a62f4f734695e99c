export { createAdminHandler } from './create-admin-handler.js';
export { buildAdminOpenApiDocument } from './build-admin-document.js';
export type { AdminHandlerOptions, AdminEngine, AdminAuditEntry, AdminCancel } from './options.js';
