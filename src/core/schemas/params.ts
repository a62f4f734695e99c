import { z } from 'zod';

/** Aspect ratios every provider adapter maps to its own sizes. */
export const ASPECT_RATIOS = ['1:1', '16:9', '9:16', '4:3', '3:4', '3:2', '2:3', '21:9', '9:21'] as const;
export const OUTPUT_FORMATS = ['png', 'jpeg', 'webp'] as const;

export const aspectRatioSchema = z.enum(ASPECT_RATIOS);
export const outputFormatSchema = z.enum(OUTPUT_FORMATS);
export const seedSchema = z.number().int().min(0).max(4_294_967_295);

/** Default and maximum prompt length in characters. */
export const MAX_PROMPT_LENGTH = 2000;

export const promptSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(MAX_PROMPT_LENGTH, `must be at most ${MAX_PROMPT_LENGTH} characters`);

/** Generation parameters shared by text-to-image, batch tasks and image-to-image (request form). */
export const generationParamsRequestShape = {
  aspect_ratio: aspectRatioSchema.optional(),
  seed: seedSchema.nullable().optional(),
  output_format: outputFormatSchema.optional(),
};

/** Parameters as stored on a task: defaults applied, seed `null` when not given. */
export const taskParamsSchema = z.object({
  aspect_ratio: aspectRatioSchema,
  seed: seedSchema.nullable(),
  output_format: outputFormatSchema,
});

export type AspectRatio = z.infer<typeof aspectRatioSchema>;
export type OutputFormat = z.infer<typeof outputFormatSchema>;
export type TaskParams = z.infer<typeof taskParamsSchema>;

/** Applies the defaults (1:1, no seed, png) to request parameters. */
export function toTaskParams(input: {
  aspect_ratio?: AspectRatio | undefined;
  seed?: number | null | undefined;
  output_format?: OutputFormat | undefined;
}): TaskParams {
  return {
    aspect_ratio: input.aspect_ratio ?? '1:1',
    seed: input.seed ?? null,
    output_format: input.output_format ?? 'png',
  };
}
