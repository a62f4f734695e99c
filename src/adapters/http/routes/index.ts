import type { Route } from '../route-context.js';
import { accountRoutes } from './account.js';
import { batchRoutes } from './batches.js';
import { generationRoutes } from './generations.js';
import { serviceRoutes } from './service.js';
import { uploadRoutes } from './upload.js';

/** Every route of `createRequestHandler`, in matching order; the OpenAPI document is built from it. */
export const routeTable: readonly Route[] = [...uploadRoutes, ...generationRoutes, ...batchRoutes, ...accountRoutes, ...serviceRoutes];
