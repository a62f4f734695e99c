import { z } from 'zod';
import { publicBatchSchema } from './public.js';

/** `POST /api/batch/cancel`: the whole batch, or one task of it. */
export const batchCancelRequestSchema = z.object({
  batch_id: z.string().min(1, 'is required'),
  task_index: z.number().int().min(0, 'must be 0 or more').optional(),
});
export type BatchCancelRequest = z.infer<typeof batchCancelRequestSchema>;

/** The answer of `POST /api/batch/cancel`; a repeated cancel gets the same. */
export const batchCancelResponseSchema = z.object({
  batch_id: z.string(),
  /** The task indexes in scope that are cancelled. */
  cancelled: z.array(z.number().int()),
  /** Credits given back for them (a running task only when the host refunds those). */
  credits_refunded: z.number().int(),
  batch: publicBatchSchema,
});
export type BatchCancelResponse = z.infer<typeof batchCancelResponseSchema>;
