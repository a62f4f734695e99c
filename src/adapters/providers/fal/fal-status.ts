import { z } from 'zod';
import { ProviderError } from '../../../core/errors/provider-error.js';
import type { ProviderStatus } from '../../../core/ports/provider-adapter.js';

/** `GET …/requests/<id>/status` (docs.fal.ai queue): IN_QUEUE, IN_PROGRESS, COMPLETED. */
export const falQueueStatusSchema = z.object({
  status: z.string(),
  queue_position: z.number().nullish(),
  response_url: z.string().optional(),
  error: z.unknown().optional(),
});

/** A FLUX result on fal: `images[].url` and `has_nsfw_concepts[]` (true when the image was blanked). */
const falResultSchema = z.object({
  images: z.array(z.object({ url: z.string().min(1), content_type: z.string().optional() })).min(1),
  has_nsfw_concepts: z.array(z.boolean()).optional(),
});

/** The status word of fal's queue, mapped once; COMPLETED needs the result fetched (null here). */
export function mapFalQueueStatus(body: unknown): ProviderStatus | null {
  const parsed = falQueueStatusSchema.safeParse(body);
  if (!parsed.success)
    throw new ProviderError('invalid_response', `fal answered a status without a "status" word: ${JSON.stringify(body)?.slice(0, 200)}`);
  switch (parsed.data.status) {
    case 'IN_QUEUE':
      return { state: 'pending' };
    case 'IN_PROGRESS':
      return { state: 'running' };
    case 'COMPLETED':
      return null;
    case 'FAILED':
    case 'ERROR':
      return { state: 'failed', reason: 'provider_error', message: `fal failed the generation${detail(parsed.data.error)}` };
    case 'CANCELED':
    case 'CANCELLED':
      return { state: 'failed', reason: 'provider_error', message: 'fal cancelled the generation' };
    default:
      return { state: 'running' };
  }
}

/** The result body (or a webhook's `payload`) as a final status. */
export function mapFalResult(body: unknown): ProviderStatus {
  const parsed = falResultSchema.safeParse(body);
  if (!parsed.success)
    throw new ProviderError('invalid_response', `fal answered a result without images: ${JSON.stringify(body)?.slice(0, 200)}`);
  if (parsed.data.has_nsfw_concepts?.[0] === true) {
    return {
      state: 'failed',
      reason: 'moderated_output',
      message: 'fal withheld the generated image: its safety checker flagged it (has_nsfw_concepts)',
    };
  }
  const image = parsed.data.images[0]!;
  return { state: 'succeeded', output: image.content_type ? { url: image.url, contentType: image.content_type } : { url: image.url } };
}

/** A fal error body (`detail`) as a failure; content-policy details count as moderation of the input. */
export function mapFalError(detailBody: unknown): ProviderStatus {
  const text = detail(detailBody);
  if (/content[ _-]?policy|nsfw|moderat|safety/i.test(text)) {
    return { state: 'failed', reason: 'moderated_input', message: `fal refused the request: it was flagged by its content checks${text}` };
  }
  return { state: 'failed', reason: 'provider_error', message: `fal failed the generation${text}` };
}

function detail(value: unknown): string {
  if (value == null) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text ? ` (${text.slice(0, 200)})` : '';
}
