import type { IdempotencyPolicy } from '../../core/options.js';
import type { Messages } from '../../core/schemas/responses.js';
import type { ImageUrls } from './image-urls.js';
import type { RouteDoc } from './openapi/route-doc.js';
import type { AuthenticatedUser, HttpEngine, RequestHandlerOptions } from './options.js';
import type { JsonCache } from './json-cache.js';
import type { PublicRecords } from './public-records.js';
import type { UserSlots } from '../../core/util/user-slots.js';

/** Settings of one handler, with defaults applied. */
export interface HandlerSettings {
  engine: HttpEngine;
  messages: Messages;
  maxBodyBytes: number;
  maxImageBytes: number;
  /** Waiting for a concurrent request with the same key; never longer than `idempotency.staleAfterMs`. */
  idempotencyWaitMs: number;
  /** The HTTP keys' policy: the engine's, with the staleness a little longer (see `httpIdempotencyPolicy`). */
  idempotency: IdempotencyPolicy;
  eventsRecheckMs: number;
  /** Open event streams per user in this process (`maxEventStreamsPerUser`). */
  eventStreams: UserSlots;
  checkRate(username: string): Promise<void>;
  webhooks: RequestHandlerOptions['webhooks'];
  /** Loadable URLs for the image references of records, and the check of the image route. */
  imageUrls: ImageUrls;
  /** Every task, batch and record a response carries goes through it (see {@link PublicRecords}). */
  publicRecords: PublicRecords;
  /** The JSON of recent `GET /batch/status` answers, by batch id and entity tag. */
  batchJson: JsonCache;
  /** This handler's OpenAPI document (built once, with its base path and batch limit). */
  openApiDocument(): Record<string, unknown>;
}

/** What a route sees. */
export interface RouteContext {
  request: Request;
  url: URL;
  params: Record<string, string>;
  /** The signed-in user (routes marked `auth: false` get a placeholder they must not use). */
  user: AuthenticatedUser;
  settings: HandlerSettings;
  /** CORS headers to put on a response the route streams itself. */
  extraHeaders: Record<string, string>;
}

/** One entry of the route table: where it is, what it does, and its documentation. */
export interface Route {
  method: 'GET' | 'POST';
  /** Path below the base path; `:name` segments become `params.name`. */
  path: string;
  /** @default true */
  auth?: boolean;
  /** What the OpenAPI document says about the route; a test fails when a part is missing. */
  doc: RouteDoc;
  handle(ctx: RouteContext): Promise<Response>;
}
