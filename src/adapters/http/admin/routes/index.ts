import { json } from '../../json.js';
import { openApiDocumentSchema } from '../../routes/service.js';
import type { AdminRoute } from '../context.js';
import { batchRoutes } from './batches.js';
import { creditRoutes } from './credits.js';
import { ledgerExportRoutes } from './ledger-export.js';
import { taskRoutes } from './tasks.js';
import { overviewRoute } from './overview.js';

/** The admin document's own route, answered by the handler (listed so that it is documented and guarded like the rest). */
export const adminOpenApiRoute: AdminRoute = {
  method: 'GET',
  path: '/openapi.json',
  doc: {
    summary: 'This document (OpenAPI 3.1)',
    responses: { 200: { description: 'The OpenAPI document of the admin API', json: openApiDocumentSchema } },
    errors: [],
  },
  handle: async (ctx) => json(ctx.settings.openApiDocument()),
};

/** Every route of `createAdminHandler`, in matching order; the admin OpenAPI document is built from it. */
export const adminRouteTable: readonly AdminRoute[] = [
  ...creditRoutes,
  ...ledgerExportRoutes,
  ...taskRoutes,
  ...batchRoutes,
  overviewRoute,
  adminOpenApiRoute,
];
