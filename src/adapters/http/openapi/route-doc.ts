import type { z } from 'zod';

/** What a handler's document depends on: the limits the handler was built with. */
export interface DocOptions {
  /** The engine's largest batch (`maxTasksPerBatch`). */
  maxTasksPerBatch: number;
}

/** A zod schema, or one built from the handler's options (e.g. the batch limit). */
export type DocSchema = z.ZodType | ((options: DocOptions) => z.ZodType);

/** Error statuses a route may answer with the error envelope `{ error, code, ...details }`. */
export type ErrorStatus = 400 | 401 | 402 | 404 | 409 | 413 | 415 | 429 | 501 | 502 | 503 | 504;

/** A success response: JSON validated by `json`, an event stream, or bytes of the given media types. */
export type ResponseDoc =
  | { description: string; json: DocSchema }
  /** Server-Sent Events: each event name and the schema of its `data` (JSON). */
  | { description: string; events: Record<string, DocSchema> }
  | { description: string; bytes: readonly string[] };

/** A request body: JSON validated by `json`, or a multipart form described by `multipart`. */
export type BodyDoc = { json: DocSchema; description?: string } | { multipart: z.ZodObject; description?: string };

/** The documentation a route declares beside its handler; the OpenAPI document is built from it. */
export interface RouteDoc {
  summary: string;
  description?: string;
  /** Required for a route that reads a body (every `POST`). */
  body?: BodyDoc;
  /** Query parameters: each property becomes a parameter, required unless optional. */
  query?: z.ZodObject;
  /** Path parameters: one property per `:name` segment of the path. */
  params?: z.ZodObject;
  /** The route takes an `Idempotency-Key` header (a `POST` that charges credits). */
  idempotent?: boolean;
  /** The 200 carries an `ETag`; a request whose `If-None-Match` names it is answered 304 without a body. */
  conditional?: boolean;
  /** Success responses by status; at least one. */
  responses: Partial<Record<200 | 201 | 202, ResponseDoc>>;
  /** Statuses answered with the error envelope; 401 is added to every route that needs sign-in. */
  errors: readonly ErrorStatus[];
}

/** The schema of `schema` for these options. */
export function resolveSchema(schema: DocSchema, options: DocOptions): z.ZodType {
  return typeof schema === 'function' ? schema(options) : schema;
}
