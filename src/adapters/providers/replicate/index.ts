import { z } from 'zod';
import { ProviderError } from '../../../core/errors/provider-error.js';
import type { GenerationInput, ProviderStatus, SubmitResult } from '../../../core/ports/provider-adapter.js';
import type { OutputFormat } from '../../../core/schemas/params.js';
import {
  assertOutputFormat,
  warnOnce,
  resultDownloader,
  providerHttpFor,
  type CommonProviderOptions,
  type HttpProviderAdapter,
  type WebhookSettings,
} from '../provider-kit/http-provider-adapter.js';
import { toDataUrl } from '../provider-kit/image-type.js';
import type { KeyLease } from '../provider-kit/key-pool.js';
import { decodeRef, encodeRef } from '../provider-kit/request-ref.js';
import { sendRequest } from '../provider-kit/send-request.js';
import { mapPrediction } from './replicate-status.js';

export interface ReplicateProviderOptions extends CommonProviderOptions {
  /** `owner/name` of an official model (`POST /models/<owner>/<name>/predictions`). @default 'black-forest-labs/flux-kontext-pro' */
  model?: string;
  /** A version id instead of `model` (`POST /predictions` with `version`). */
  version?: string;
  /** Name of the model's input image field. @default 'input_image' */
  imageInputName?: string;
  /** Formats the model produces. @default ['png', 'jpeg'] */
  outputFormats?: readonly OutputFormat[];
  /** Extra input fields sent with every prediction. */
  extraInput?: Record<string, unknown>;
  /** @default 'https://api.replicate.com/v1' */
  baseUrl?: string;
  /** Push completions to a webhook (signed with the account's `whsec_` secret); polling stays the fallback. */
  webhook?: WebhookSettings;
}

/** Data URLs are documented for small files; larger inputs go through the Files API. */
const DATA_URL_LIMIT = 256 * 1024;
const fileSchema = z.object({ urls: z.object({ get: z.string().url() }) });

/**
 * Replicate predictions (replicate.com/docs/reference/http): create (`POST
 * /models/<owner>/<name>/predictions` or `POST /predictions` with a version), get (`GET
 * /predictions/<id>`), cancel (`POST /predictions/<id>/cancel`); statuses starting, processing,
 * succeeded, failed, canceled. Outputs are URLs on replicate.delivery (about an hour).
 */
export function createReplicateProvider(options: ReplicateProviderOptions): HttpProviderAdapter {
  const name = 'replicate';
  const model = options.model ?? 'black-forest-labs/flux-kontext-pro';
  const baseUrl = (options.baseUrl ?? 'https://api.replicate.com/v1').replace(/\/+$/, '');
  const base = new URL(baseUrl);
  const http = providerHttpFor(name, options, 10);
  const formats = options.outputFormats ?? (['png', 'jpeg'] as const);
  const warned = new Set<string>();
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });

  async function imageInput(input: GenerationInput, lease: KeyLease, signal: AbortSignal): Promise<string> {
    const image = input.inputImage!;
    if (image.bytes.byteLength <= DATA_URL_LIMIT) return toDataUrl(image.bytes, image.contentType);
    const form = new FormData();
    form.append('content', new Blob([new Uint8Array(image.bytes)], { type: image.contentType }), 'input');
    const response = await sendRequest(`${baseUrl}/files`, { provider: name, headers: auth(lease.key), body: form, signal });
    const parsed = fileSchema.safeParse(response.json);
    if (!parsed.success) throw new ProviderError('invalid_response', 'replicate answered the file upload without urls.get');
    return parsed.data.urls.get;
  }

  async function predictionInput(input: GenerationInput, lease: KeyLease, signal: AbortSignal): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {
      ...options.extraInput,
      prompt: input.prompt,
      aspect_ratio: input.inputImage ? 'match_input_image' : input.aspectRatio,
      // Replicate's FLUX models spell JPEG "jpg".
      output_format: input.outputFormat === 'jpeg' ? 'jpg' : input.outputFormat,
    };
    if (input.seed !== null) out.seed = input.seed;
    if (input.inputImage) {
      out[options.imageInputName ?? 'input_image'] = await imageInput(input, lease, signal);
      if (input.imagePromptStrength !== undefined)
        warnOnce(options.logger, warned, name, 'image_prompt_strength (set a model-specific field in extraInput)');
      if (input.aspectRatio !== '1:1') warnOnce(options.logger, warned, name, 'aspect_ratio on edits (the output matches the input image)');
    }
    return out;
  }

  return {
    name,
    capabilities: { imageToImage: true, seed: true, outputFormats: formats },
    unsupported: [
      'image_prompt_strength',
      'aspect_ratio on edits',
      ...(['png', 'jpeg', 'webp'] as const).filter((f) => !formats.includes(f)).map((f) => `output_format ${f}`),
    ],
    ...(options.pollPolicy ? { pollPolicy: options.pollPolicy } : {}),
    keyStats: () => http.pool.stats(),

    async submit(input, ctx): Promise<SubmitResult> {
      assertOutputFormat(name, input, formats);
      const { value, lease } = await http.start(ctx.signal, async (lease) => {
        const body: Record<string, unknown> = { input: await predictionInput(input, lease, ctx.signal) };
        if (options.version) body.version = options.version;
        if (options.webhook) {
          body.webhook = options.webhook.url;
          body.webhook_events_filter = ['completed'];
        }
        const url = options.version ? `${baseUrl}/predictions` : `${baseUrl}/models/${model}/predictions`;
        const response = await sendRequest(url, { provider: name, headers: auth(lease.key), body, signal: ctx.signal });
        const id = (response.json as { id?: unknown } | undefined)?.id;
        if (typeof id !== 'string' || id === '')
          throw new ProviderError(
            'invalid_response',
            `replicate answered the create without an id: ${JSON.stringify(response.json)?.slice(0, 200)}`,
          );
        return { id, status: mapPrediction(response.json) };
      });
      const requestId = encodeRef({ id: value.id, key: lease.fingerprint });
      http.hold(requestId, lease, ctx.signal);
      http.finishIfFinal(requestId, value.status);
      return value.status.state === 'succeeded' || value.status.state === 'failed' ? { requestId, status: value.status } : { requestId };
    },

    async poll(requestId, ctx): Promise<ProviderStatus> {
      const ref = decodeRef(requestId);
      const status = await http.follow(requestId, ref.key ?? null, ctx.signal, async (lease) => {
        const response = await sendRequest(`${baseUrl}/predictions/${encodeURIComponent(ref.id)}`, {
          provider: name,
          headers: auth(lease.key),
          signal: ctx.signal,
        });
        return mapPrediction(response.json);
      });
      http.finishIfFinal(requestId, status);
      return status;
    },

    async cancel(requestId) {
      const ref = decodeRef(requestId);
      const signal = AbortSignal.timeout(10_000);
      try {
        await http.follow(requestId, ref.key ?? null, signal, (lease) =>
          sendRequest(`${baseUrl}/predictions/${encodeURIComponent(ref.id)}/cancel`, {
            provider: name,
            method: 'POST',
            headers: auth(lease.key),
            signal,
          }),
        );
      } finally {
        http.finish(requestId, 'failure');
      }
    },

    waitForStatus: (requestId, ms, ctx) => http.waitForWebhook(options.webhook?.inbox, requestId, ms, ctx.signal),

    download: resultDownloader(name, base.origin, options),
  };
}
