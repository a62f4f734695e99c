import { DEFAULT_MAX_BATCH_TASKS } from '../../../core/schemas/requests.js';
import { REQUEST_COMPONENTS, RESPONSE_COMPONENTS, ERROR_DESCRIPTIONS } from '../openapi/components.js';
import { openApiPath } from '../openapi/build-document.js';
import { operationOf } from '../openapi/operation.js';
import type { ErrorStatus } from '../openapi/route-doc.js';
import { SchemaCatalog } from '../openapi/schema-catalog.js';
import type { AdminRoute } from './context.js';
import { adminRouteTable } from './routes/index.js';
import {
  adminCreditResponseSchema,
  adminGrantRequestSchema,
  adminAdjustRequestSchema,
  failedTaskSchema,
  stuckTaskSchema,
  requeueRequestSchema,
  adminCancelRequestSchema,
} from './schemas.js';

const ADMIN_ERRORS: Record<ErrorStatus, string> = {
  ...ERROR_DESCRIPTIONS,
  404: 'Unknown; also the answer to every request that is not from an admin (the API is not seen to exist)',
  409: 'Conflict: an idempotency key reused with another amount, or a task not in a state the action applies to (`reason` says which)',
  501: 'The engine has no `batches.cancel`',
};

/**
 * The OpenAPI 3.1 document of the admin API, generated from its route table with the same
 * builder pieces as the user API's (and its components, so entries and batches read the same).
 */
export function buildAdminOpenApiDocument(options: { basePath?: string } = {}): Record<string, unknown> {
  return adminDocumentOf(adminRouteTable, options.basePath ?? '/admin/api');
}

function adminDocumentOf(routes: readonly AdminRoute[], basePath: string): Record<string, unknown> {
  const requests = new Map(REQUEST_COMPONENTS);
  for (const [schema, name] of [
    [adminGrantRequestSchema, 'AdminGrantRequest'],
    [adminAdjustRequestSchema, 'AdminAdjustRequest'],
    [requeueRequestSchema, 'AdminRequeueRequest'],
    [adminCancelRequestSchema, 'AdminCancelRequest'],
  ] as const)
    requests.set(schema, name);
  const responses = new Map(RESPONSE_COMPONENTS);
  for (const [schema, name] of [
    [adminCreditResponseSchema, 'AdminCreditResponse'],
    [failedTaskSchema, 'FailedTask'],
    [stuckTaskSchema, 'StuckTask'],
  ] as const)
    responses.set(schema, name);
  const catalog = new SchemaCatalog({ maxTasksPerBatch: DEFAULT_MAX_BATCH_TASKS }, requests, responses);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] = {
      ...paths[path],
      [route.method.toLowerCase()]: operationOf(route, catalog, { deniedStatus: 404, errorDescriptions: ADMIN_ERRORS }),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'imagegen-kit admin',
      version: '1',
      description:
        "Operators' API: grant and adjust credits, export a user's journal, list failed and stuck tasks, requeue a task, cancel any batch. Who is an admin is the host's decision; to anyone else every route is a 404.",
    },
    servers: [{ url: basePath.replace(/\/+$/, '') || '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: "The host's own (the reference server: an admin's bearer token)" },
      },
      schemas: catalog.components(),
    },
  };
}
