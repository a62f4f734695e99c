import {
  type PublicBatch,
  type PublicBatchSummary,
  type PublicGenerationRecord,
  type PublicTask,
  publicBatchSchema,
  publicBatchSummarySchema,
  publicGenerationRecordSchema,
  publicTaskSchema,
} from '../../core/schemas/public.js';
import type { BatchRecord, BatchSummary, BatchTask, GenerationRecord } from '../../core/schemas/records.js';
import { decodeRef } from '../providers/provider-kit/request-ref.js';
import type { ImageUrls } from './image-urls.js';

/**
 * The one way records leave the handler: every task, batch, summary, record and error body a
 * response or an event carries goes through here. Only the keys of the public schemas are copied
 * (a field storage adds later stays in storage until the public schema names it), image
 * references become loadable URLs, and request ids become the provider's own.
 */
export interface PublicRecords {
  /** The provider's own id of a stored request id. */
  requestId(stored: string): string;
  task(task: BatchTask): Promise<PublicTask>;
  batch(batch: BatchRecord): Promise<PublicBatch>;
  summary(summary: BatchSummary): PublicBatchSummary;
  record(record: GenerationRecord): Promise<PublicGenerationRecord>;
  /** An error body (`{ error, code, ...details }`) with its `request_id` detail made public. */
  errorBody<T>(body: T): T;
}

const TASK_KEYS = Object.keys(publicTaskSchema.shape) as Array<keyof PublicTask>;
const BATCH_KEYS = Object.keys(publicBatchSchema.shape) as Array<keyof PublicBatch>;
const SUMMARY_KEYS = Object.keys(publicBatchSummarySchema.shape) as Array<keyof PublicBatchSummary>;
const RECORD_KEYS = Object.keys(publicGenerationRecordSchema.shape) as Array<keyof PublicGenerationRecord>;

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const key of keys) if (key in value) out[key] = value[key];
  return out;
}

/**
 * `publicRequestId` is the engine's (the provider's own mapping); provider-kit's `encodeRef`
 * suffix is removed after it in any case, so an adapter built on the kit that does not implement
 * the mapping still never shows its key fingerprint or polling URL.
 */
export function createPublicRecords(imageUrls: ImageUrls, publicRequestId: (stored: string) => string = (id) => id): PublicRecords {
  const requestId = (stored: string) => decodeRef(publicRequestId(stored)).id;
  const task = async (stored: BatchTask): Promise<PublicTask> => {
    const shown = pick(stored, TASK_KEYS) as PublicTask;
    if (!stored.result) return shown;
    return { ...shown, result: { imageUrl: await imageUrls.of(stored.result.imageUrl), requestId: requestId(stored.result.requestId) } };
  };
  return {
    requestId,
    task,
    async batch(stored) {
      return { ...(pick(stored, BATCH_KEYS) as PublicBatch), tasks: await Promise.all(stored.tasks.map(task)) };
    },
    summary: (stored) => pick(stored, SUMMARY_KEYS) as PublicBatchSummary,
    async record(stored) {
      const shown = pick(stored, RECORD_KEYS) as PublicGenerationRecord;
      return { ...shown, imageUrl: await imageUrls.of(stored.imageUrl), requestId: requestId(stored.requestId) };
    },
    errorBody(body) {
      if (typeof body !== 'object' || body === null || !('request_id' in body)) return body;
      const id = (body as { request_id: unknown }).request_id;
      return typeof id === 'string' ? { ...body, request_id: requestId(id) } : body;
    },
  };
}
