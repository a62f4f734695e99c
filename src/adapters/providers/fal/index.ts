import { z } from 'zod';
import { ProviderError } from '../../../core/errors/provider-error.js';
import type { GenerationInput, ProviderStatus, SubmitResult } from '../../../core/ports/provider-adapter.js';
import {
  checkInput,
  familyOf,
  gridSize,
  onceWarner,
  pollPolicyOf,
  portCapabilities,
  unsupportedList,
} from '../provider-kit/model-capabilities.js';
import {
  resultDownloader,
  providerHttpFor,
  type CommonProviderOptions,
  type HttpProviderAdapter,
  type WebhookSettings,
} from '../provider-kit/http-provider-adapter.js';
import { HttpStatusError } from '../provider-kit/http-status-error.js';
import { toDataUrl } from '../provider-kit/image-type.js';
import { decodeRef, encodeRef } from '../provider-kit/request-ref.js';
import { sendRequest } from '../provider-kit/send-request.js';
import { mapFalError, mapFalQueueStatus, mapFalResult } from './fal-status.js';
import { FAL_MODELS, type FalModel } from './models.js';

export interface FalProviderOptions extends CommonProviderOptions {
  /** Text-to-image endpoint id. @default 'fal-ai/flux-pro/kontext/text-to-image' */
  model?: string;
  /** Image-to-image endpoint id (takes `image_url`). @default 'fal-ai/flux-pro/kontext' */
  editModel?: string;
  /** @default 'https://queue.fal.run' */
  queueUrl?: string;
  /** fal's `safety_tolerance` ("1" strict … "6"). @default '2' */
  safetyTolerance?: string;
  /** Push results with `fal_webhook` (verified with fal's ED25519 keys); polling stays the fallback. */
  webhook?: WebhookSettings;
}

const submitSchema = z.object({ request_id: z.string().min(1), response_url: z.string().url().optional() });

/**
 * fal queue API (docs.fal.ai "Queue"): `POST queue.fal.run/<endpoint>` with `Authorization: Key …`
 * answers `request_id` and `response_url`; `GET <response_url>/status` says IN_QUEUE, IN_PROGRESS
 * or COMPLETED; `GET <response_url>` is the result; `PUT <response_url>/cancel` cancels. The
 * stored request id carries `response_url` (the endpoint's app path) and the key's fingerprint.
 * The input is shaped per endpoint family from {@link FAL_MODELS}.
 */
export function createFalProvider(options: FalProviderOptions): HttpProviderAdapter {
  const name = 'fal';
  const model = options.model ?? 'fal-ai/flux-pro/kontext/text-to-image';
  const editModel = options.editModel ?? 'fal-ai/flux-pro/kontext';
  const queueUrl = (options.queueUrl ?? 'https://queue.fal.run').replace(/\/+$/, '');
  const queue = new URL(queueUrl);
  const http = providerHttpFor(name, options, 10);
  const warn = onceWarner(options.logger, name);
  const text = familyOf(FAL_MODELS, model);
  const edit = familyOf(FAL_MODELS, editModel);
  const auth = (key: string) => ({ authorization: `Key ${key}` });

  /** The input of the endpoint, shaped by its family (see {@link FAL_MODELS}). */
  function body(input: GenerationInput, family: FalModel): Record<string, unknown> {
    const out: Record<string, unknown> = { prompt: input.prompt, output_format: input.outputFormat, num_images: 1 };
    const { size } = family;
    if (size.kind === 'aspect_ratio') out.aspect_ratio = input.aspectRatio;
    else if (size.kind === 'image_size') out.image_size = size.presets[input.aspectRatio] ?? gridSize(input.aspectRatio, size.grid);
    if (family.safetyTolerance) out.safety_tolerance = options.safetyTolerance ?? '2';
    if (input.seed !== null && family.seed) out.seed = input.seed;
    if (input.inputImage && family.inputImage) {
      // fal accepts data URIs wherever it takes a file URL.
      out[family.inputImage.field] = toDataUrl(input.inputImage.bytes, input.inputImage.contentType);
      const strength = input.imagePromptStrength ?? 0.5;
      if (family.strength) out[family.strength.field] = family.strength.scale === 'keep' ? strength : 1 - strength;
    }
    return out;
  }

  /** The request's response URL: stored, or rebuilt from the endpoint's app (owner/name). */
  function responseUrl(ref: { id: string; url?: string | undefined; extra?: string | undefined }): string {
    if (ref.url) {
      if (new URL(ref.url).origin !== queue.origin)
        throw new ProviderError('invalid_response', 'fal gave a response_url on another host; the key is not sent there');
      return ref.url;
    }
    const app = (ref.extra ?? model).split('/').slice(0, 2).join('/');
    return `${queueUrl}/${app}/requests/${encodeURIComponent(ref.id)}`;
  }

  async function fetchResult(url: string, key: string, signal: AbortSignal): Promise<ProviderStatus> {
    try {
      const response = await sendRequest(url, { provider: name, headers: auth(key), signal });
      return mapFalResult(response.json);
    } catch (error) {
      // A failed generation answers its result URL with 4xx and a `detail`.
      if (
        error instanceof HttpStatusError &&
        error.status >= 400 &&
        error.status < 500 &&
        error.status !== 429 &&
        error.status !== 401 &&
        error.status !== 403
      ) {
        return mapFalError(error.bodySnippet);
      }
      throw error;
    }
  }

  return {
    name,
    capabilities: portCapabilities(text, edit.inputImage ? edit : null),
    unsupported: unsupportedList(text, edit.inputImage ? edit : null),
    pollPolicy: { ...pollPolicyOf([text, edit]), ...options.pollPolicy },
    model,
    keyStats: () => http.pool.stats(),
    keyLabelOf: (requestId) => http.keyLabelOf(requestId),

    async submit(input, ctx): Promise<SubmitResult> {
      const endpoint = input.inputImage ? editModel : model;
      const family = input.inputImage ? edit : text;
      checkInput(name, family, input, warn);
      const url = `${queueUrl}/${endpoint}${options.webhook ? `?fal_webhook=${encodeURIComponent(options.webhook.url)}` : ''}`;
      const payload = body(input, family);
      const { value, lease } = await http.start(ctx.signal, async (lease) => {
        const response = await sendRequest(url, { provider: name, headers: auth(lease.key), body: payload, signal: ctx.signal });
        const parsed = submitSchema.safeParse(response.json);
        if (!parsed.success)
          throw new ProviderError(
            'invalid_response',
            `fal answered the submit without a request_id: ${JSON.stringify(response.json)?.slice(0, 200)}`,
          );
        return parsed.data;
      });
      const requestId = encodeRef({ id: value.request_id, key: lease.fingerprint, url: value.response_url, extra: endpoint });
      http.hold(requestId, lease, ctx.signal);
      return { requestId };
    },

    async poll(requestId, ctx): Promise<ProviderStatus> {
      const ref = decodeRef(requestId);
      const url = responseUrl(ref);
      const status = await http.follow(requestId, ref.key ?? null, ctx.signal, async (lease) => {
        const response = await sendRequest(`${url}/status`, { provider: name, headers: auth(lease.key), signal: ctx.signal });
        return mapFalQueueStatus(response.json) ?? fetchResult(url, lease.key, ctx.signal);
      });
      http.finishIfFinal(requestId, status);
      return status;
    },

    async cancel(requestId) {
      const ref = decodeRef(requestId);
      const signal = AbortSignal.timeout(10_000);
      try {
        await http.follow(requestId, ref.key ?? null, signal, (lease) =>
          sendRequest(`${responseUrl(ref)}/cancel`, { provider: name, method: 'PUT', headers: auth(lease.key), signal }),
        );
      } finally {
        http.finish(requestId, 'failure');
      }
    },

    waitForStatus: (requestId, ms, ctx) => http.waitForWebhook(options.webhook?.inbox, requestId, ms, ctx.signal),

    download: resultDownloader(name, queue.origin, options),
  };
}
