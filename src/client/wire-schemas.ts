import {
  wireArray as array,
  wireEnum as enumOf,
  wireInt as int,
  wireNullable as nullable,
  wireNumber as number,
  wireObject as object,
  wireOptional as optional,
  wireString as string,
} from './wire-check.js';

// The client's copies of the server's answer schemas (`core/schemas/public.ts`, `responses.ts`,
// `wire.ts`), field for field; `test/client/wire-schemas.test.ts` fails when the two differ.

const aspectRatio = enumOf(['1:1', '16:9', '9:16', '4:3', '3:4', '3:2', '2:3', '21:9', '9:21']);
const seed = number({ int: true, min: 0, max: 4_294_967_295 });
const taskStatus = enumOf(['pending', 'processing', 'completed', 'failed', 'cancelled']);

export const publicTaskWire = object({
  taskId: string,
  prompt: string,
  params: object({ aspect_ratio: aspectRatio, seed: nullable(seed), output_format: enumOf(['png', 'jpeg', 'webp']) }),
  status: taskStatus,
  progress: number({ min: 0, max: 100 }),
  result: nullable(object({ imageUrl: string, requestId: string })),
  error: nullable(string),
  createdAt: number(),
  attempts: number({ int: true, min: 0 }),
  startedAt: nullable(number()),
  completedAt: nullable(number()),
});

const batchSummaryShape = {
  batchId: string,
  totalTasks: int,
  completedTasks: int,
  failedTasks: int,
  cancelledTasks: int,
  status: enumOf(['pending', 'processing', 'completed']),
  createdAt: number(),
  updatedAt: number(),
};

export const publicBatchWire = object({ ...batchSummaryShape, username: string, tasks: array(publicTaskWire) });

export const uploadResponseWire = object({
  message: string,
  data_url: string,
  size: int,
  type: enumOf(['image/jpeg', 'image/png', 'image/webp']),
});

const imageToImageShape = { message: string, request_id: string, image_url: string, credits_remaining: int };
export const imageToImageResponseWire = object(imageToImageShape);
export const generateResponseWire = object({ ...imageToImageShape, record_id: string });

export const batchCreatedResponseWire = object({
  message: string,
  batch_id: string,
  total_tasks: int,
  credits_deducted: int,
  credits_remaining: int,
});

export const batchListResponseWire = object({ batches: array(object(batchSummaryShape)), next_cursor: nullable(string) });

export const creditsResponseWire = object({
  balance: int,
  grants: array(
    object({ id: nullable(string), kind: enumOf(['paid', 'promo']), priority: int, remaining: int, expires_at: nullable(number()) }),
  ),
  entries: array(
    object({
      seq: int,
      username: string,
      kind: enumOf(['grant', 'charge', 'refund', 'expire']),
      amount: int,
      balanceAfter: int,
      idempotencyKey: string,
      reference: nullable(string),
      reason: nullable(string),
      createdAt: number(),
    }),
  ),
  next_cursor: nullable(string),
});

export const retryResponseWire = object({
  message: string,
  batch_id: string,
  task_index: int,
  task: publicTaskWire,
  credits_deducted: int,
  credits_remaining: int,
});

export const recordListResponseWire = object({
  records: array(
    object({
      recordId: string,
      username: string,
      type: enumOf(['image_to_image', 'text_to_image']),
      prompt: string,
      imageUrl: string,
      requestId: string,
      createdAt: number(),
      aspectRatio,
      seed: nullable(seed),
      imagePromptStrength: nullable(number()),
      outputFormat: optional(string),
    }),
  ),
  next_cursor: nullable(string),
});

/** Data of a `progress` event of `GET /batch/events`. */
export const progressEventWire = object({ batchId: string, taskId: string, index: int, status: taskStatus, progress: number() });

/** The answer of `POST /batch/cancel`. */
export const batchCancelResponseWire = object({
  batch_id: string,
  cancelled: array(int),
  credits_refunded: int,
  batch: publicBatchWire,
});
