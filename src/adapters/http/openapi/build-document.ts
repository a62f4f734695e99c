import { DEFAULT_MAX_BATCH_TASKS } from '../../../core/schemas/requests.js';
import type { Route } from '../route-context.js';
import { routeTable } from '../routes/index.js';
import { REQUEST_COMPONENTS, RESPONSE_COMPONENTS } from './components.js';
import { operationOf } from './operation.js';
import type { DocOptions } from './route-doc.js';
import { SchemaCatalog } from './schema-catalog.js';

/** Options of {@link buildOpenApiDocument}. */
export interface OpenApiOptions {
  /** @default '/api' */
  basePath?: string;
  /** The engine's largest batch; `createRequestHandler` passes its engine's. @default 10 */
  maxTasksPerBatch?: number;
  /** @default 'imagegen-kit' */
  title?: string;
}

/** `/images/:key` as OpenAPI writes it: `/images/{key}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([a-z_]+)/gi, '{$1}');
}

/**
 * The OpenAPI 3.1 document of the handler's endpoints, generated from the route table: each route's
 * declared documentation and the same zod schemas the handler and the client validate with.
 */
export function buildOpenApiDocument(options: OpenApiOptions = {}): Record<string, unknown> {
  return documentOf(routeTable, options);
}

/** The document of `routes` (the tests describe made-up routes with it). */
export function documentOf(routes: readonly Route[], options: OpenApiOptions): Record<string, unknown> {
  const base = (options.basePath ?? '/api').replace(/\/+$/, '');
  const docOptions: DocOptions = { maxTasksPerBatch: options.maxTasksPerBatch ?? DEFAULT_MAX_BATCH_TASKS };
  const catalog = new SchemaCatalog(docOptions, REQUEST_COMPONENTS, RESPONSE_COMPONENTS);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operationOf(route, catalog) };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: options.title ?? 'imagegen-kit',
      version: '1',
      description: 'Text-to-image, image-to-image and queued batches with per-user credits.',
    },
    servers: [{ url: base || '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: catalog.components(),
    },
  };
}
