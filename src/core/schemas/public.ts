import { z } from 'zod';
import { batchRecordSchema, batchSummarySchema, batchTaskSchema, generationRecordSchema } from './records.js';

/**
 * What the API answers about tasks, batches and records: the contract's fields and the documented
 * extras (`attempts`, `startedAt`, `completedAt`). The stored records (`records.ts`) carry more —
 * the provider's request reference and the worker's lease — which never leave the server, and a
 * `result.requestId` here is the provider's own id, not the stored reference (which may hold the
 * key's fingerprint and a polling URL).
 */
export const publicTaskSchema = batchTaskSchema.omit({ providerRequestId: true, leaseExpiresAt: true });
export type PublicTask = z.infer<typeof publicTaskSchema>;

/** The batch record of `GET /api/batch/status` and of the event stream, with public tasks. */
// The API always sends `cancelledTasks` (storage fills in 0 for batches stored before cancel).
const cancelledTasks = z.number().int();
export const publicBatchSchema = batchRecordSchema.extend({ tasks: z.array(publicTaskSchema), cancelledTasks });
export type PublicBatch = z.infer<typeof publicBatchSchema>;

/** An entry of `GET /api/batch/list`: the record without `tasks` and `username`. */
export const publicBatchSummarySchema = batchSummarySchema.extend({ cancelledTasks });
export type PublicBatchSummary = z.infer<typeof publicBatchSummarySchema>;

/** A single generation as `GET /api/records` answers it (`requestId` is the provider's own id). */
export const publicGenerationRecordSchema = generationRecordSchema;
export type PublicGenerationRecord = z.infer<typeof publicGenerationRecordSchema>;
