import { z } from 'zod';
import { ProviderError } from '../../../core/errors/provider-error.js';
import type { GenerationInput, ProviderStatus, SubmitResult } from '../../../core/ports/provider-adapter.js';
import type { OutputFormat } from '../../../core/schemas/params.js';
import { checkInput, familyOf, onceWarner, portCapabilities, unsupportedList } from '../provider-kit/model-capabilities.js';
import {
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
import { REPLICATE_MODELS, type ReplicateModel } from './models.js';

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
  const warn = onceWarner(options.logger, name);
  const family = withOverrides(familyOf(REPLICATE_MODELS, model), options);
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

  /** The prediction input, shaped by the model's family (see {@link REPLICATE_MODELS}). */
  async function predictionInput(input: GenerationInput, lease: KeyLease, signal: AbortSignal): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {
      ...options.extraInput,
      prompt: input.prompt,
      aspect_ratio: input.inputImage && family.editAspectRatio ? family.editAspectRatio : input.aspectRatio,
      // Replicate's FLUX models spell JPEG "jpg".
      output_format: input.outputFormat === 'jpeg' ? 'jpg' : input.outputFormat,
    };
    if (input.seed !== null && family.seed) out.seed = input.seed;
    if (input.inputImage && family.inputImage) {
      out[family.inputImage.field] = await imageInput(input, lease, signal);
      const strength = input.imagePromptStrength ?? 0.5;
      if (family.strength) out[family.strength.field] = family.strength.scale === 'keep' ? strength : 1 - strength;
    }
    return out;
  }

  function check(input: GenerationInput): void {
    checkInput(name, family, input, warn);
    if (input.inputImage && family.editAspectRatio && input.aspectRatio !== '1:1')
      warn('aspect_ratio on edits (the output matches the input image)');
  }

  return {
    name,
    capabilities: portCapabilities(family, family.inputImage ? family : null),
    unsupported: [
      ...unsupportedList(family, family.inputImage ? family : null),
      ...(family.editAspectRatio ? ['aspect_ratio on edits'] : []),
    ],
    pollPolicy: { ...family.pollPolicy, ...options.pollPolicy },
    model,
    keyStats: () => http.pool.stats(),
    keyLabelOf: (requestId) => http.keyLabelOf(requestId),

    async submit(input, ctx): Promise<SubmitResult> {
      check(input);
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

/** The family with the host's `imageInputName` and `outputFormats` applied (for models the table does not know). */
function withOverrides(family: ReplicateModel, options: ReplicateProviderOptions): ReplicateModel {
  return {
    ...family,
    ...(options.outputFormats ? { outputFormats: options.outputFormats } : {}),
    ...(options.imageInputName && family.inputImage ? { inputImage: { ...family.inputImage, field: options.imageInputName } } : {}),
  };
}
