import { z } from 'zod';
import { creditGrantViewSchema } from './grants.js';
import { publicBatchSummarySchema, publicTaskSchema } from './public.js';
import { ledgerEntrySchema } from './records.js';

/** Success message strings of the contract; a host may override them. */
export const DEFAULT_MESSAGES = {
  upload: '上传成功',
  imageToImage: '改图成功',
  batchCreated: '批量任务已创建',
  generate: '生成成功',
  retry: '任务已重新排队',
} as const;
export type Messages = { [K in keyof typeof DEFAULT_MESSAGES]: string };

export const uploadResponseSchema = z.object({
  message: z.string(),
  data_url: z.string(),
  size: z.number().int(),
  type: z.enum(['image/jpeg', 'image/png', 'image/webp']),
});
export type UploadResponse = z.infer<typeof uploadResponseSchema>;

export const imageToImageResponseSchema = z.object({
  message: z.string(),
  request_id: z.string(),
  image_url: z.string(),
  credits_remaining: z.number().int(),
});
export type ImageToImageResponse = z.infer<typeof imageToImageResponseSchema>;

/** `POST /api/generate` answers like image-to-image, with its own record id. */
export const generateResponseSchema = imageToImageResponseSchema.extend({ record_id: z.string() });
export type GenerateResponse = z.infer<typeof generateResponseSchema>;

export const batchCreatedResponseSchema = z.object({
  message: z.string(),
  batch_id: z.string(),
  total_tasks: z.number().int(),
  credits_deducted: z.number().int(),
  credits_remaining: z.number().int(),
});
export type BatchCreatedResponse = z.infer<typeof batchCreatedResponseSchema>;

export const batchListResponseSchema = z.object({
  batches: z.array(publicBatchSummarySchema),
  next_cursor: z.string().nullable(),
});
export type BatchListResponse = z.infer<typeof batchListResponseSchema>;

/** `POST /api/batch/process`: the task after the run. */
export const taskResponseSchema = publicTaskSchema;

export const creditsResponseSchema = z.object({
  balance: z.number().int(),
  /** The grants with credits left, in the order charges draw from them; they sum to `balance`. */
  grants: z.array(creditGrantViewSchema),
  entries: z.array(ledgerEntrySchema),
  next_cursor: z.string().nullable(),
});
export type CreditsResponse = z.infer<typeof creditsResponseSchema>;

export const errorBodySchema = z.object({ error: z.string(), code: z.string() }).catchall(z.unknown());
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** What `createWebhookHandler` answers to a verified provider delivery at `POST /api/webhooks/{provider}`. */
export const webhookAckSchema = z.object({
  received: z.literal(true),
  /** `duplicate`: this request's final status was delivered before; `ignored`: not a final status. */
  outcome: z.enum(['accepted', 'duplicate', 'ignored']),
});
export type WebhookAck = z.infer<typeof webhookAckSchema>;
