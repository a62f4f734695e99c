import type { Engine } from '../../core/engine.js';
import type { RateLimiter } from '../../core/ports/rate-limiter.js';
import type { Messages } from '../../core/schemas/responses.js';

/**
 * The engine members the handler uses; an {@link Engine} from `createEngine` has them all
 * (`maxTasksPerBatch` only sets the batch limit the OpenAPI document shows; default 10;
 * `publicRequestId` maps stored request ids to the provider's own; default: provider-kit's
 * `encodeRef` suffix removed).
 */
export type HttpEngine = Pick<
  Engine,
  'events' | 'credits' | 'batches' | 'storage' | 'imageToImage' | 'textToImage' | 'records' | 'imageStore' | 'imageLimits' | 'idempotency'
> &
  Partial<Pick<Engine, 'maxTasksPerBatch' | 'publicRequestId' | 'telemetry'>>;

/** Who sent the request, as the host's `authenticate` decides. */
export interface AuthenticatedUser {
  username: string;
}

/** CORS for browsers on another origin. */
export interface CorsOptions {
  /** Allowed origins: a list, `'*'`, or a test. */
  origin: '*' | string[] | ((origin: string) => boolean);
  /** Send `Access-Control-Allow-Credentials: true`. @default false */
  credentials?: boolean;
  /** Preflight cache time in seconds. @default 600 */
  maxAge?: number;
}

/** Options of {@link createRequestHandler}. */
export interface RequestHandlerOptions {
  engine: HttpEngine;
  /** The host's authentication: the user the request belongs to, or null (answered with 401). */
  authenticate(request: Request): AuthenticatedUser | null | Promise<AuthenticatedUser | null>;
  /** Success `message` strings. @default the contract's Chinese strings */
  messages?: Partial<Messages>;
  /** CORS headers and preflight answers. @default none (same origin only) */
  cors?: CorsOptions;
  /** Where the routes live. @default '/api' */
  basePath?: string;
  /** Largest JSON body, checked while reading. @default 65536 (64 KiB) */
  maxBodyBytes?: number;
  /** Largest image in an upload or an `input_image` data URL. @default the engine's `imageLimits.maxBytes` (10 MiB) */
  maxImageBytes?: number;
  /**
   * Limits charging requests (`POST` of generate, image-to-image, batch/generate, batch/retry) per
   * user: `{ max, windowMs }` (a window in this process) or a shared `RateLimiter` such as the Redis
   * one. Over it the answer is 429 with `Retry-After`. (The engine's own `rateLimiter` covers batch
   * submits and retries only; use one of the two for those.) @default no limit
   */
  rateLimit?: { max: number; windowMs: number } | RateLimiter;
  /**
   * How long a request waits for a concurrent request with the same `Idempotency-Key` before
   * answering 409 `idempotency_pending`. Keys follow the engine's `idempotency` policy: a key left
   * pending by a crashed process is taken over (by a waiting request too) once it is
   * `staleAfterMs` old, so a wait is never longer than that. @default 120000
   */
  idempotencyWaitMs?: number;
  /**
   * Event streams (`GET {basePath}/batch/events`) one user may hold open at once in this process;
   * one more is answered 429 `rate_limited` with `retry_after` before it opens. Counted per
   * process: behind N processes a user may hold N × this. `Infinity` turns it off. @default 5
   */
  maxEventStreamsPerUser?: number;
  /** How often the batch event stream re-reads storage (sees progress made in other processes). @default 2000 */
  eventsRecheckMs?: number;
  /** Provider webhooks, mounted at `POST {basePath}/webhooks/:provider` without authentication. */
  webhooks?: (request: Request, provider: string) => Promise<Response>;
  /**
   * The key of the HMAC that signs image URLs, at least 32 characters (e.g. 32 random bytes in
   * base64url), the same in every process that answers for these images. Required when the
   * handler serves images: when the engine's image store has no `urlFor` (memory, filesystem),
   * responses carry `{stored URL}?exp=…&sig=…`, which `GET {basePath}/images/:key` serves without a
   * bearer header; a wrong, missing or expired signature is a 404 like a missing image. Changing
   * it invalidates every URL handed out; records keep the stable URL, so new responses work.
   * Not needed when the store makes its own URLs (`urlFor`, as the S3 store) or with `serveImages: false`.
   */
  imageUrlSecret?: string;
  /**
   * Lifetime of signed image URLs, in seconds. The expiry is rounded up to a quarter of it so
   * repeated responses carry the same URL (and browsers reuse their cached copy): a URL lives from
   * this to 1.25 × this. @default 3600 (1 hour)
   */
  imageUrlTtlSeconds?: number;
  /**
   * `false`: the host serves the images itself (or not at all): no secret is needed, responses
   * carry the stored URLs as they are, and `GET {basePath}/images/:key` answers 404. @default true
   */
  serveImages?: boolean;
  /** The clock of signed image URLs (milliseconds since the epoch). @default Date.now */
  now?: () => number;
  /** Told about unexpected errors (answered with 500). @default console.error */
  onError?: (error: unknown, request: Request) => void;
}
