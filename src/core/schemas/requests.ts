import { z } from 'zod';
import { generationParamsRequestShape, promptSchema } from './params.js';

/** Default maximum number of tasks in one batch. */
export const DEFAULT_MAX_BATCH_TASKS = 10;

/**
 * `POST /api/batch/generate`: either `prompts` (one task each) or `prompt` + `count`.
 * Build with another `maxTasks` when the host configures a different limit.
 */
export function batchGenerateRequestSchema(maxTasks = DEFAULT_MAX_BATCH_TASKS) {
  return z
    .object({
      prompts: z
        .array(promptSchema)
        .min(1, 'must hold at least one prompt')
        .max(maxTasks, `must hold at most ${maxTasks} prompts`)
        .optional(),
      prompt: promptSchema.optional(),
      count: z.number().int().min(1, 'must be at least 1').max(maxTasks, `must be at most ${maxTasks}`).optional(),
      ...generationParamsRequestShape,
    })
    .superRefine((body, ctx) => {
      if (body.prompts !== undefined && (body.prompt !== undefined || body.count !== undefined)) {
        ctx.addIssue({ code: 'custom', path: ['prompts'], message: 'send either prompts or prompt + count, not both' });
      } else if (body.prompts === undefined) {
        if (body.prompt === undefined) {
          ctx.addIssue({ code: 'custom', path: ['prompts'], message: 'send prompts (an array) or prompt + count' });
        } else if (body.count === undefined) {
          ctx.addIssue({ code: 'custom', path: ['count'], message: 'is required with prompt' });
        }
      }
    });
}
export const batchGenerateRequestSchemaDefault = batchGenerateRequestSchema();
export type BatchGenerateRequest = z.infer<typeof batchGenerateRequestSchemaDefault>;

/** `POST /api/generate`: one text-to-image generation. */
export const generateRequestSchema = z.object({ prompt: promptSchema, ...generationParamsRequestShape });
export type GenerateRequest = z.infer<typeof generateRequestSchema>;

/** `POST /api/image-to-image`. `input_image` is a data URL or an https URL. */
export const imageToImageRequestSchema = z.object({
  prompt: promptSchema,
  input_image: z.string().min(1, 'is required'),
  image_prompt_strength: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').optional(),
  ...generationParamsRequestShape,
});
export type ImageToImageRequest = z.infer<typeof imageToImageRequestSchema>;

/** `POST /api/batch/process` and `POST /api/batch/retry`. */
export const taskRefRequestSchema = z.object({
  batch_id: z.string().min(1, 'is required'),
  task_index: z.number().int().min(0, 'must be 0 or more'),
});
export type TaskRefRequest = z.infer<typeof taskRefRequestSchema>;

/** Query of `GET /api/batch/list` and `GET /api/credits`. */
export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).optional(),
  cursor: z.string().min(1).optional(),
});
export type PageQuery = z.infer<typeof pageQuerySchema>;

/** Query of `GET /api/batch/status` and `GET /api/batch/events`. */
export const batchIdQuerySchema = z.object({
  batch_id: z.string().min(1, 'is required (a query parameter)'),
});

/** `POST /api/upload-image`: a multipart form whose `image` field holds the file (JPEG, PNG or WebP, decided by its bytes). */
export const uploadImageFormSchema = z.object({ image: z.file() });
