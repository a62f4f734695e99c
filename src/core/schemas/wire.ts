import { z } from 'zod';
import { publicGenerationRecordSchema, publicTaskSchema } from './public.js';
import { taskStatusSchema } from './records.js';

/** `POST /api/batch/retry`: the task, queued again, and what the retry cost. */
export const retryResponseSchema = z.object({
  message: z.string(),
  batch_id: z.string(),
  task_index: z.number().int(),
  task: publicTaskSchema,
  credits_deducted: z.number().int(),
  credits_remaining: z.number().int(),
});
export type RetryResponse = z.infer<typeof retryResponseSchema>;

/** `GET /api/records`: the user's single generations, newest first. */
export const recordListResponseSchema = z.object({
  records: z.array(publicGenerationRecordSchema),
  next_cursor: z.string().nullable(),
});
export type RecordListResponse = z.infer<typeof recordListResponseSchema>;

/** Data of a `progress` event of `GET /api/batch/events`. */
export const progressEventSchema = z.object({
  batchId: z.string(),
  taskId: z.string(),
  index: z.number().int(),
  status: taskStatusSchema,
  progress: z.number(),
});
export type ProgressEvent = z.infer<typeof progressEventSchema>;
