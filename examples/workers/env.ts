import type { D1Database, MessageBatch, Queue, R2Bucket } from '@cloudflare/workers-types';
import type { TaskMessage } from '../../src/adapters/dispatch/queues/index.js';

/** The Worker's bindings and variables (see wrangler.toml). */
export interface Env {
  /** Credits, batches, records: the D1 storage adapter. */
  DB: D1Database;
  /** Generated images: the R2-binding image store. */
  IMAGES: R2Bucket;
  /** Batch tasks: this Worker produces on submit and consumes them in `queue()`. */
  TASKS: Queue<TaskMessage>;
  /** HMAC key of the bearer tokens (`wrangler secret put TOKEN_SECRET`), at least 32 characters. */
  TOKEN_SECRET: string;
  /** HMAC key of the image URLs the handler signs (`wrangler secret put IMAGE_URL_SECRET`), at least 32 characters. */
  IMAGE_URL_SECRET: string;
  /** Credits a user gets once, on their first request. @default "0" */
  WELCOME_CREDITS?: string;
  /** How long the offline provider takes per image, in ms. @default "2500" */
  OFFLINE_LATENCY_MS?: string;
  /** How long a consumer's claim on a task lasts unless renewed; a task whose invocation died is taken over after it. @default "30000" */
  LEASE_MS?: string;
}

export type TaskBatch = MessageBatch<TaskMessage>;
