import { z } from 'zod';
import { ProviderError } from '../../../core/errors/provider-error.js';
import type { ProviderOutput, ProviderStatus } from '../../../core/ports/provider-adapter.js';
import { fromBase64, sniffImageType } from '../provider-kit/image-type.js';

/**
 * The status body of BFL `get_result` and Fireworks' Kontext `get_result`: `status` is one of
 * `Task not found`, `Pending`, `Request Moderated`, `Content Moderated`, `Ready`, `Error`, `Failed`
 * (docs.bfl.ai get_result; docs.fireworks.ai "Get generated image from FLUX.1 Kontext"; the official
 * clients `@ai-sdk/black-forest-labs` and `@ai-sdk/fireworks` end on `Error` or `Failed`), the image
 * is `result.sample` (a signed URL, valid about 10 minutes) — Fireworks may answer `result.url` or
 * base64 — and `progress` is a hint while pending.
 */
const fluxStatusSchema = z.object({
  status: z.string().optional(),
  /** The official BFL client reads `state` where `status` is missing. */
  state: z.string().optional(),
  result: z.unknown().optional(),
  progress: z.number().nullish(),
  details: z.unknown().optional(),
  error: z.unknown().optional(),
});

/** Maps one FLUX status body to the port's status; a body that does not fit is a clear failure. */
export function mapFluxStatus(provider: string, body: unknown): ProviderStatus {
  const parsed = fluxStatusSchema.safeParse(body);
  if (!parsed.success || (parsed.data.status ?? parsed.data.state) === undefined) {
    throw new ProviderError(
      'invalid_response',
      `${provider} answered a status without a "status" word: ${JSON.stringify(body)?.slice(0, 200)}`,
    );
  }
  const { result, progress, details, error } = parsed.data;
  const status = parsed.data.status ?? parsed.data.state;
  switch (status) {
    case 'Ready':
      return { state: 'succeeded', output: resultOutput(provider, result) };
    case 'Pending':
      return progress == null ? { state: 'running' } : { state: 'running', progress: progress > 1 ? progress / 100 : progress };
    case 'Request Moderated':
      return {
        state: 'failed',
        reason: 'moderated_input',
        message: `${provider} refused the request: the prompt or input image was flagged by its moderation${why(details)}`,
      };
    case 'Content Moderated':
      return {
        state: 'failed',
        reason: 'moderated_output',
        message: `${provider} withheld the generated image: it was flagged by its moderation${why(details)}`,
      };
    case 'Task not found':
      return { state: 'failed', reason: 'not_found', message: `${provider} does not know this request (expired or never created)` };
    case 'Error':
    case 'Failed':
      return { state: 'failed', reason: 'provider_error', message: `${provider} failed the generation${why(error ?? details)}` };
    default:
      // An unknown word is treated as still running; the poll budget bounds the wait.
      return { state: 'running' };
  }
}

function resultOutput(provider: string, result: unknown): ProviderOutput {
  const record = (typeof result === 'object' && result !== null ? result : {}) as Record<string, unknown>;
  const value = typeof result === 'string' ? result : (record.sample ?? record.url ?? record.base64);
  const text = Array.isArray(value) ? value[0] : value;
  if (typeof text !== 'string' || text === '') {
    throw new ProviderError('invalid_response', `${provider} answered Ready without an image (no result.sample)`);
  }
  if (/^https?:\/\//.test(text)) return { url: text };
  const bytes = fromBase64(text);
  const contentType = sniffImageType(bytes);
  if (!contentType)
    throw new ProviderError('invalid_response', `${provider} answered Ready with a result that is neither a URL nor an image`);
  return { bytes, contentType };
}

function why(details: unknown): string {
  if (details == null) return '';
  const text = typeof details === 'string' ? details : JSON.stringify(details);
  return text && text !== '{}' ? ` (${text.slice(0, 200)})` : '';
}
