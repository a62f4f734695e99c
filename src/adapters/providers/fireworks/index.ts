import { encodeBase64 } from '../../../core/image-input/base64.js';
import { z } from 'zod';
import { ProviderError } from '../../../core/errors/provider-error.js';
import type { GenerationInput, ProviderStatus, SubmitResult } from '../../../core/ports/provider-adapter.js';
import {
  assertOutputFormat,
  warnOnce,
  resultDownloader,
  providerHttpFor,
  type CommonProviderOptions,
  type HttpProviderAdapter,
} from '../provider-kit/http-provider-adapter.js';
import { decodeRef, encodeRef } from '../provider-kit/request-ref.js';
import { sendRequest } from '../provider-kit/send-request.js';
import { mapFluxStatus } from '../bfl/flux-status.js';

export interface FireworksProviderOptions extends CommonProviderOptions {
  /** `flux-kontext-pro` or `flux-kontext-max`. @default 'flux-kontext-pro' */
  model?: string;
  /** @default 'https://api.fireworks.ai/inference/v1/workflows/accounts/fireworks/models' */
  baseUrl?: string;
  /** 0 (strict) to 6; Fireworks limits image-to-image to 2. @default 2 */
  safetyTolerance?: number;
}

const submitSchema = z.object({ request_id: z.string().min(1) });

/**
 * FLUX.1 Kontext on Fireworks workflows (docs.fireworks.ai "Generate or edit an image with FLUX.1
 * Kontext"): `POST …/models/<model>` with a bearer key answers `{ request_id }`; the result comes
 * from `POST …/models/<model>/get_result` with `{ id }`, whose `status` uses the BFL words and whose
 * image is in `result.sample` (or `result.url`). This is the setup the original service ran, with
 * several keys to raise concurrency. Output: png or jpeg; Kontext has no strength setting.
 */
export function createFireworksProvider(options: FireworksProviderOptions): HttpProviderAdapter {
  const name = 'fireworks';
  const model = options.model ?? 'flux-kontext-pro';
  const baseUrl = (options.baseUrl ?? 'https://api.fireworks.ai/inference/v1/workflows/accounts/fireworks/models').replace(/\/+$/, '');
  const origin = new URL(baseUrl).origin;
  const http = providerHttpFor(name, options, 24);
  const formats = ['png', 'jpeg'] as const;
  const warned = new Set<string>();
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });

  function body(input: GenerationInput): Record<string, unknown> {
    const out: Record<string, unknown> = {
      prompt: input.prompt,
      aspect_ratio: input.aspectRatio,
      output_format: input.outputFormat,
      safety_tolerance: Math.min(options.safetyTolerance ?? 2, input.inputImage ? 2 : 6),
    };
    if (input.seed !== null) out.seed = input.seed;
    if (input.inputImage) {
      // "Base64 encoded image or URL to use with Kontext."
      out.input_image = encodeBase64(input.inputImage.bytes);
      if (input.imagePromptStrength !== undefined)
        warnOnce(options.logger, warned, name, 'image_prompt_strength (Kontext follows the prompt)');
    }
    return out;
  }

  return {
    name,
    capabilities: { imageToImage: true, seed: true, outputFormats: formats },
    unsupported: ['output_format webp', 'image_prompt_strength'],
    ...(options.pollPolicy ? { pollPolicy: options.pollPolicy } : {}),
    keyStats: () => http.pool.stats(),

    async submit(input, ctx): Promise<SubmitResult> {
      assertOutputFormat(name, input, formats);
      const payload = body(input);
      const { value, lease } = await http.start(ctx.signal, async (lease) => {
        const response = await sendRequest(`${baseUrl}/${model}`, {
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
      const requestId = encodeRef({ id: value.request_id, key: lease.fingerprint, extra: model });
      http.hold(requestId, lease, ctx.signal);
      return { requestId };
    },

    async poll(requestId, ctx): Promise<ProviderStatus> {
      const ref = decodeRef(requestId);
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
