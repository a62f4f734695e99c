import type { Route } from '../route-context.js';
import { errorBodySchema } from '../../../core/schemas/responses.js';
import { ERROR_DESCRIPTIONS, IDEMPOTENCY_KEY_PARAMETER } from './components.js';
import type { ErrorStatus, ResponseDoc } from './route-doc.js';
import type { SchemaCatalog } from './schema-catalog.js';

type Json = Record<string, unknown>;

/** `POST /batch/generate` → `postBatchGenerate`; `GET /images/:key` → `getImagesByKey`. */
export function operationIdOf(route: Pick<Route, 'method' | 'path'>): string {
  const words = route.path
    .split(/[/-]/)
    .filter(Boolean)
    .map((part) => (part.startsWith(':') ? `by-${part.slice(1)}` : part))
    .flatMap((part) => part.split(/[-_.]/));
  return [route.method.toLowerCase(), ...words.map((w) => w.charAt(0).toUpperCase() + w.slice(1))].join('');
}

function successResponse(doc: ResponseDoc, catalog: SchemaCatalog): Json {
  if ('json' in doc)
    return { description: doc.description, content: { 'application/json': { schema: catalog.schemaOf(doc.json, 'output') } } };
  if ('events' in doc) {
    const events = Object.fromEntries(Object.entries(doc.events).map(([name, data]) => [name, catalog.schemaOf(data, 'output')]));
    // OpenAPI 3.1 cannot type the events of a stream: the body is text, and `x-events` gives each event's data schema.
    return { description: doc.description, content: { 'text/event-stream': { schema: { type: 'string' }, 'x-events': events } } };
  }
  return { description: doc.description, content: Object.fromEntries(doc.bytes.map((type) => [type, {}])) };
}

function errorResponses(statuses: readonly ErrorStatus[], catalog: SchemaCatalog): Json {
  const sorted = [...new Set(statuses)].sort((a, b) => a - b);
  return Object.fromEntries(
    sorted.map((status) => [
      String(status),
      { description: ERROR_DESCRIPTIONS[status], content: { 'application/json': { schema: catalog.schemaOf(errorBodySchema, 'output') } } },
    ]),
  );
}

/** The OpenAPI operation of one route, from the documentation it declares. */
export function operationOf(route: Route, catalog: SchemaCatalog): Json {
  const { doc } = route;
  const needsSignIn = route.auth !== false;
  const parameters = [
    ...(doc.params ? catalog.parametersOf(doc.params, 'path') : []),
    ...(doc.query ? catalog.parametersOf(doc.query, 'query') : []),
    ...(doc.idempotent ? [IDEMPOTENCY_KEY_PARAMETER] : []),
  ];
  const body = doc.body;
  const requestBody = body && {
    required: true,
    ...(body.description ? { description: body.description } : {}),
    content:
      'json' in body
        ? { 'application/json': { schema: catalog.schemaOf(body.json, 'input') } }
        : { 'multipart/form-data': { schema: catalog.schemaOf(body.multipart, 'input') } },
  };
  const successes = Object.entries(doc.responses).map(([status, response]) => [status, successResponse(response!, catalog)]);
  return {
    operationId: operationIdOf(route),
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    ...(needsSignIn ? {} : { security: [] }),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: {
      ...Object.fromEntries(successes),
      ...errorResponses(needsSignIn ? [401, ...doc.errors] : doc.errors, catalog),
    },
  };
}
