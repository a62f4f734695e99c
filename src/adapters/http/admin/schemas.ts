import { z } from 'zod';
import { ledgerEntrySchema } from '../../../core/schemas/records.js';
import { IDEMPOTENCY_KEY_PATTERN } from '../idempotency.js';

const MAX_AMOUNT = 1_000_000_000;
const username = z.string().min(1, 'is required').max(64).describe('The user acted on');
const reason = z.string().trim().min(1, 'is required (why the admin does it)').max(200).describe('Why; kept in the journal entry');
const idempotencyKey = z
  .string()
  .regex(IDEMPOTENCY_KEY_PATTERN)
  .optional()
  .describe('The same key applies the entry once (a retried request grants nothing more); without one, every request applies');

/** `POST /credits/grant`. */
export const adminGrantRequestSchema = z.object({
  username,
  amount: z.number().int().min(1).max(MAX_AMOUNT).describe('Credits to add'),
  reason,
  idempotency_key: idempotencyKey,
});

/** `POST /credits/adjust`: a signed amount, a grant when positive, a charge when negative (never below a zero balance). */
export const adminAdjustRequestSchema = z.object({
  username,
  amount: z
    .number()
    .int()
    .min(-MAX_AMOUNT)
    .max(MAX_AMOUNT)
    .refine((n) => n !== 0, 'must not be 0')
    .describe('Signed: positive adds, negative takes (402 when the balance is short)'),
  reason,
  idempotency_key: idempotencyKey,
});

/** What a credit action answers. */
export const adminCreditResponseSchema = z.object({
  entry: ledgerEntrySchema,
  balance: z.number().int(),
  /** True when the idempotency key had been applied before: nothing changed. */
  replayed: z.boolean(),
});
export type AdminCreditResponse = z.infer<typeof adminCreditResponseSchema>;

/** `?username=`, of the balance and the exports. */
export const usernameQuerySchema = z.object({ username });

/** `GET /credits`. */
export const adminCreditsQuerySchema = z.object({
  username,
  limit: z.coerce.number().int().min(1).max(100).optional(),
  cursor: z.string().min(1).optional(),
});

/** `GET /tasks/failed`. */
export const failedTasksQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).optional(),
  cursor: z.string().min(1).optional(),
});

export const failedTaskSchema = z.object({
  batch_id: z.string(),
  username: z.string(),
  task_index: z.number().int(),
  attempts: z.number().int(),
  error: z.string().nullable(),
  failed_at: z.number(),
});

export const failedTasksResponseSchema = z.object({ tasks: z.array(failedTaskSchema), next_cursor: z.string().nullable() });
export type FailedTasksResponse = z.infer<typeof failedTasksResponseSchema>;

/** `GET /tasks/stuck`. */
export const stuckTasksQuerySchema = z.object({
  pending_older_than_ms: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .describe('A pending task waiting longer is stuck (default: the handler setting stuckPendingAfterMs)'),
  limit: z.coerce.number().int().min(1).max(1000).optional().describe('At most this many (default 100)'),
});

export const stuckTaskSchema = z.object({
  batch_id: z.string(),
  username: z.string(),
  task_index: z.number().int(),
  status: z.enum(['pending', 'processing']),
  attempts: z.number().int(),
  /** `lease_expired`: processing, its worker stopped renewing; `pending_too_long`: queued and never started. */
  reason: z.enum(['lease_expired', 'pending_too_long']),
  lease_expires_at: z.number().nullable(),
  /** Pending: at the latest since then (the batch's creation, or the task's last start for a retried one). */
  waiting_since: z.number().nullable(),
});

export const stuckTasksResponseSchema = z.object({
  tasks: z.array(stuckTaskSchema),
  /** Open tasks looked at (the oldest batches first); `truncated` when there were more. */
  scanned: z.number().int(),
  truncated: z.boolean(),
});
export type StuckTasksResponse = z.infer<typeof stuckTasksResponseSchema>;

/** `POST /tasks/requeue`. */
export const requeueRequestSchema = z.object({ batch_id: z.string().min(1), task_index: z.number().int().min(0) });

export const requeueResponseSchema = z.object({
  batch_id: z.string(),
  task_index: z.number().int(),
  /** `taken_over`: a processing task with an expired lease, queued for take-over; `queued`: a pending one queued again; `retried`: a failed one, retried at no charge. */
  outcome: z.enum(['taken_over', 'queued', 'retried']),
  status: z.string(),
  attempts: z.number().int(),
});
export type RequeueResponse = z.infer<typeof requeueResponseSchema>;

/** `POST /batches/cancel`. */
export const adminCancelRequestSchema = z.object({
  batch_id: z.string().min(1),
  task_index: z.number().int().min(0).optional().describe('Only this task; the whole batch when absent'),
});

export const adminCancelResponseSchema = z.object({
  batch_id: z.string(),
  username: z.string(),
  task_index: z.number().int().nullable(),
  /** What `engine.batches.cancel` returned. */
  result: z.unknown(),
});
