import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ProviderError } from '../../../core/errors/provider-error.js';
import type { GenerationInput, ProviderStatus, SubmitResult } from '../../../core/ports/provider-adapter.js';
import {
  resultDownloader,
  providerHttpFor,
  type CommonProviderOptions,
  type HttpProviderAdapter,
} from '../provider-kit/http-provider-adapter.js';
import { sniffImageType, toDataUrl } from '../provider-kit/image-type.js';
import { checkInput, familyOf, onceWarner, pollPolicyOf, portCapabilities, unsupportedList } from '../provider-kit/model-capabilities.js';
import { decodeRef, encodeRef } from '../provider-kit/request-ref.js';
import { sendForBytes, sendRequest } from '../provider-kit/send-request.js';
import { mapFluxStatus } from '../bfl/flux-status.js';
import { FIREWORKS_MODELS, type FireworksModel } from './models.js';

export interface FireworksProviderOptions extends CommonProviderOptions {
  /** A Kontext model (`flux-kontext-pro`, `flux-kontext-max`) or FLUX.1 (`flux-1-schnell-fp8`, `flux-1-dev-fp8`). @default 'flux-kontext-pro' */
  model?: string;
  /** Image-to-image model (a Kontext one). @default model */
  editModel?: string;
  /** @default 'https://api.fireworks.ai/inference/v1/workflows/accounts/fireworks/models' */
  baseUrl?: string;
  /** 0 (strict) to 6; Fireworks limits image-to-image to 2. @default 2 */
  safetyTolerance?: number;
}

const submitSchema = z.object({ request_id: z.string().min(1) });

/**
 * FLUX on Fireworks workflows (docs.fireworks.ai). Kontext ("Generate or edit an image with FLUX.1
 * Kontext"): `POST …/models/<model>` with a bearer key answers `{ request_id }`; the result comes
 * from `POST …/models/<model>/get_result` with `{ id }`, whose `status` uses the BFL words and whose
 * image is in `result.sample` (or `result.url`). FLUX.1 [schnell]/[dev]: `POST
 * …/models/<model>/text_to_image` answers the image bytes at once. The body is shaped per family
 * from {@link FIREWORKS_MODELS}. Output: png or jpeg.
 */
export function createFireworksProvider(options: FireworksProviderOptions): HttpProviderAdapter {
  const name = 'fireworks';
  const model = options.model ?? 'flux-kontext-pro';
  const editModel = options.editModel ?? model;
  const baseUrl = (options.baseUrl ?? 'https://api.fireworks.ai/inference/v1/workflows/accounts/fireworks/models').replace(/\/+$/, '');
  const origin = new URL(baseUrl).origin;
  const http = providerHttpFor(name, options, 24);
  const warn = onceWarner(options.logger, name);
  const text = familyOf(FIREWORKS_MODELS, model);
  const edit = familyOf(FIREWORKS_MODELS, editModel);
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });

  function body(input: GenerationInput, family: FireworksModel): Record<string, unknown> {
    const out: Record<string, unknown> = { prompt: input.prompt, aspect_ratio: input.aspectRatio };
    if (family.workflow === 'async') {
      out.output_format = input.outputFormat;
      out.safety_tolerance = Math.min(options.safetyTolerance ?? 2, input.inputImage ? 2 : 6);
    }
    if (input.seed !== null && family.seed) out.seed = input.seed;
    if (input.inputImage && family.inputImage)
      out[family.inputImage.field] = toDataUrl(input.inputImage.bytes, input.inputImage.contentType);
    return out;
  }

  /** FLUX.1 on `text_to_image`: the answer is the image; `Finish-Reason: CONTENT_FILTERED` marks a blanked one. */
  async function textToImage(input: GenerationInput, target: string, key: string, signal: AbortSignal): Promise<ProviderStatus> {
    const { bytes, headers } = await sendForBytes(`${baseUrl}/${target}/text_to_image`, {
      provider: name,
      headers: auth(key),
      accept: `image/${input.outputFormat}`,
      body: body(input, text),
      signal,
      timeoutMs: text.pollPolicy.submitTimeoutMs,
    });
    if (/CONTENT_FILTERED/i.test(headers.get('finish-reason') ?? ''))
      return {
        state: 'failed',
        reason: 'moderated_output',
        message: 'fireworks withheld the generated image: its safety filter flagged it',
      };
    const contentType = sniffImageType(bytes);
    if (!contentType) throw new ProviderError('invalid_response', 'fireworks answered text_to_image with bytes that are not an image');
    return { state: 'succeeded', output: { bytes, contentType } };
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
      const family = input.inputImage ? edit : text;
      const target = input.inputImage ? editModel : model;
      checkInput(name, family, input, warn);
      if (family.workflow === 'text_to_image') {
        const { value, lease } = await http.start(ctx.signal, (lease) => textToImage(input, target, lease.key, ctx.signal));
        lease.release(value.state === 'succeeded' ? 'success' : 'failure');
        return { requestId: `fireworks-${randomUUID()}`, status: value };
      }
      const payload = body(input, family);
      const { value, lease } = await http.start(ctx.signal, async (lease) => {
        const response = await sendRequest(`${baseUrl}/${target}`, {
          provider: name,
          headers: auth(lease.key),
          body: payload,
          signal: ctx.signal,
        });
        const parsed = submitSchema.safeParse(response.json);
        if (!parsed.success)
          throw new ProviderError(
            'invalid_response',
            `fireworks answered the submit without a request_id: ${JSON.stringify(response.json)?.slice(0, 200)}`,
          );
        return parsed.data;
      });
      const requestId = encodeRef({ id: value.request_id, key: lease.fingerprint, extra: target });
      http.hold(requestId, lease, ctx.signal);
      return { requestId };
    },

    async poll(requestId, ctx): Promise<ProviderStatus> {
      const ref = decodeRef(requestId);
      if (!ref.extra && requestId.startsWith('fireworks-'))
        return {
          state: 'failed',
          reason: 'not_found',
          message: `fireworks answered ${requestId} synchronously; it cannot be fetched again`,
        };
      const status = await http.follow(requestId, ref.key ?? null, ctx.signal, async (lease) => {
        const response = await sendRequest(`${baseUrl}/${ref.extra ?? model}/get_result`, {
          provider: name,
          headers: auth(lease.key),
          body: { id: ref.id },
          signal: ctx.signal,
        });
        return mapFluxStatus(name, response.json);
      });
      http.finishIfFinal(requestId, status);
      return status;
    },

    async cancel(requestId) {
      // Fireworks documents no cancel for Kontext workflows: free the key only.
      http.finish(requestId, 'failure');
    },

    download: resultDownloader(name, origin, options),
  };
}
