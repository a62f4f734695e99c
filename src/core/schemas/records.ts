import { z } from 'zod';
import { aspectRatioSchema, seedSchema, taskParamsSchema } from './params.js';

export const taskStatusSchema = z.enum(['pending', 'processing', 'completed', 'failed', 'cancelled']);
export const batchStatusSchema = z.enum(['pending', 'processing', 'completed']);
export type TaskStatus = z.infer<typeof taskStatusSchema>;
export type BatchStatus = z.infer<typeof batchStatusSchema>;

export const taskResultSchema = z.object({ imageUrl: z.string(), requestId: z.string() });
export type TaskResult = z.infer<typeof taskResultSchema>;

/** One task of a batch, as documented, plus bookkeeping fields. */
export const batchTaskSchema = z.object({
  taskId: z.string(),
  prompt: z.string(),
  params: taskParamsSchema,
  status: taskStatusSchema,
  progress: z.number().min(0).max(100),
  result: taskResultSchema.nullable(),
  error: z.string().nullable(),
  createdAt: z.number(),
  /** How many times a worker has claimed this task; compare-and-set token of its transitions. */
  attempts: z.number().int().min(0),
  startedAt: z.number().nullable(),
  completedAt: z.number().nullable(),
  /** The provider's id of the request in flight, saved as soon as it is known. */
  providerRequestId: z.string().nullable(),
  /** Until when the worker that claimed the task counts as alive (ms since epoch). */
  leaseExpiresAt: z.number().nullable(),
});
export type BatchTask = z.infer<typeof batchTaskSchema>;

/** The batch record of `GET /api/batch/status`. */
export const batchRecordSchema = z.object({
  batchId: z.string(),
  username: z.string(),
  tasks: z.array(batchTaskSchema),
  totalTasks: z.number().int(),
  completedTasks: z.number().int(),
  failedTasks: z.number().int(),
  /** Tasks ended by a cancel (0 for batches stored before cancel existed). */
  cancelledTasks: z.number().int().default(0),
  status: batchStatusSchema,
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type BatchRecord = z.infer<typeof batchRecordSchema>;

/** An entry of `GET /api/batch/list`: the record without `tasks` and `username`. */
export const batchSummarySchema = batchRecordSchema.omit({ tasks: true, username: true });
export type BatchSummary = z.infer<typeof batchSummarySchema>;

export const generationTypeSchema = z.enum(['image_to_image', 'text_to_image']);

/** A single generation (image-to-image or text-to-image), id `record:{username}:{timestamp}`. */
export const generationRecordSchema = z.object({
  recordId: z.string(),
  username: z.string(),
  type: generationTypeSchema,
  prompt: z.string(),
  imageUrl: z.string(),
  requestId: z.string(),
  createdAt: z.number(),
  aspectRatio: aspectRatioSchema,
  seed: seedSchema.nullable(),
  imagePromptStrength: z.number().nullable(),
  outputFormat: z.string().optional(),
});
export type GenerationRecord = z.infer<typeof generationRecordSchema>;

/** `expire`: what was left of a grant when it expired (negative), written by the ledger itself. */
export const ledgerKindSchema = z.enum(['grant', 'charge', 'refund', 'expire']);
export type LedgerKind = z.infer<typeof ledgerKindSchema>;

/** One line of the append-only credit journal. `amount` is signed: charges are negative. */
export const ledgerEntrySchema = z.object({
  seq: z.number().int(),
  username: z.string(),
  kind: ledgerKindSchema,
  amount: z.number().int(),
  balanceAfter: z.number().int(),
  idempotencyKey: z.string(),
  /** What the entry pays for (a batch id, a task id, a record id) or, for a refund, the charge's key. */
  reference: z.string().nullable(),
  reason: z.string().nullable(),
  createdAt: z.number(),
});
export type LedgerEntry = z.infer<typeof ledgerEntrySchema>;
