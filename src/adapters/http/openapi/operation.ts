import type { Route } from '../route-context.js';
import { errorBodySchema } from '../../../core/schemas/responses.js';
import { ERROR_DESCRIPTIONS, ETAG_HEADER, IDEMPOTENCY_KEY_PARAMETER, NOT_MODIFIED_RESPONSE } from './components.js';
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

function errorResponses(statuses: readonly ErrorStatus[], catalog: SchemaCatalog, descriptions: Record<ErrorStatus, string>): Json {
  const sorted = [...new Set(statuses)].sort((a, b) => a - b);
  return Object.fromEntries(
    sorted.map((status) => [
      String(status),
      { description: descriptions[status], content: { 'application/json': { schema: catalog.schemaOf(errorBodySchema, 'output') } } },
    ]),
  );
}

/** How a document other than the contract's describes its operations (the admin API's). */
export interface OperationOptions {
  /** What a caller who may not use a signed-in route gets: 401, or 404 where the route must not be seen to exist. @default 401 */
  deniedStatus?: ErrorStatus;
  /** @default ERROR_DESCRIPTIONS */
  errorDescriptions?: Record<ErrorStatus, string>;
}

/** The OpenAPI operation of one route, from the documentation it declares. */
export function operationOf(
  route: Pick<Route, 'method' | 'path' | 'auth' | 'doc'>,
  catalog: SchemaCatalog,
  options: OperationOptions = {},
): Json {
  const { doc } = route;
  const needsSignIn = route.auth !== false;
  const denied = options.deniedStatus ?? 401;
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
  const successes = Object.entries(doc.responses).map(([status, response]) => {
    const success = successResponse(response!, catalog);
    return [status, doc.conditional && status === '200' ? { ...success, headers: ETAG_HEADER } : success];
  });
  if (doc.conditional) successes.push(['304', NOT_MODIFIED_RESPONSE]);
  return {
    operationId: operationIdOf(route),
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    ...(needsSignIn ? {} : { security: [] }),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: {
      ...Object.fromEntries(successes),
      ...errorResponses(needsSignIn ? [denied, ...doc.errors] : doc.errors, catalog, options.errorDescriptions ?? ERROR_DESCRIPTIONS),
    },
  };
}
