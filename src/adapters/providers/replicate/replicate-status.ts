import { z } from 'zod';
import { ProviderError } from '../../../core/errors/provider-error.js';
import type { ProviderStatus } from '../../../core/ports/provider-adapter.js';

/** A prediction (replicate.com/docs/reference/http#predictions.get), as polled or pushed by webhook. */
export const predictionSchema = z.object({
  id: z.string().min(1),
  status: z.string(),
  output: z.unknown().optional(),
  error: z.unknown().optional(),
  logs: z.string().nullish(),
});

/**
 * starting → pending, processing → running, succeeded → the output URL (a string or the first of a
 * list), failed/canceled/aborted → failures. FLUX models on Replicate fail with "flagged as
 * sensitive (E005)" when their safety checker blocks a prompt or an image.
 */
export function mapPrediction(body: unknown): ProviderStatus {
  const parsed = predictionSchema.safeParse(body);
  if (!parsed.success)
    throw new ProviderError(
      'invalid_response',
      `replicate answered a prediction without id/status: ${JSON.stringify(body)?.slice(0, 200)}`,
    );
  const { status, output, error } = parsed.data;
  switch (status) {
    case 'starting':
      return { state: 'pending' };
    case 'processing':
      return { state: 'running' };
    case 'succeeded': {
      const url = Array.isArray(output) ? output[0] : output;
      if (typeof url !== 'string' || url === '')
        throw new ProviderError('invalid_response', 'replicate answered succeeded without an output URL');
      return { state: 'succeeded', output: { url } };
    }
    case 'failed': {
      const text = typeof error === 'string' ? error : JSON.stringify(error ?? 'no error text');
      if (/E005|sensitive|nsfw|safety|moderat/i.test(text)) return moderated(text, parsed.data.logs ?? '');
      return { state: 'failed', reason: 'provider_error', message: `replicate failed the prediction (${text.slice(0, 200)})` };
    }
    case 'canceled':
    case 'aborted':
      return { state: 'failed', reason: 'provider_error', message: `replicate prediction was ${status}` };
    default:
      return { state: 'running' };
  }
}

/**
 * E005 says "The input or output was flagged as sensitive": it covers both. The text (or the
 * logs, where BFL-hosted models print BFL's own words) decides when it names one side; otherwise
 * the safety checker's usual place, the generated image, is assumed and the message says so.
 */
function moderated(text: string, logs: string): ProviderStatus {
  const names = { input: /\b(input|prompt)\b/i.test(text), output: /\b(output|generated image|result)\b/i.test(text) };
  const input = /Request Moderated/.test(logs) || (names.input && !names.output);
  const output = /Content Moderated/.test(logs) || (names.output && !names.input);
  const detail = text.slice(0, 200);
  if (input && !output)
    return { state: 'failed', reason: 'moderated_input', message: `replicate's safety checker blocked the request (${detail})` };
  if (output && !input)
    return { state: 'failed', reason: 'moderated_output', message: `replicate's safety checker blocked the generated image (${detail})` };
  return {
    state: 'failed',
    reason: 'moderated_output',
    message: `replicate's safety checker flagged the prompt, the input image or the generated image; it does not say which (${detail})`,
  };
}
