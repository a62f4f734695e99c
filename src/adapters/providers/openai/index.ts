import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ProviderError } from '../../../core/errors/provider-error.js';
import type { GenerationInput, ProviderStatus, SubmitResult } from '../../../core/ports/provider-adapter.js';
import type { AspectRatio } from '../../../core/schemas/params.js';
import {
  providerHttpFor,
  resultDownloader,
  type CommonProviderOptions,
  type HttpProviderAdapter,
} from '../provider-kit/http-provider-adapter.js';
import { checkInput, familyOf, nearestSize, onceWarner, portCapabilities, unsupportedList } from '../provider-kit/model-capabilities.js';
import { OPENAI_MODELS, type OpenAiModel } from './models.js';
import { HttpStatusError } from '../provider-kit/http-status-error.js';
import { fromBase64, sniffImageType } from '../provider-kit/image-type.js';
import { sendRequest } from '../provider-kit/send-request.js';

export interface OpenAiProviderOptions extends CommonProviderOptions {
  /** @default 'gpt-image-1' */
  model?: string;
  /** @default 'https://api.openai.com/v1' */
  baseUrl?: string;
  /** `low`, `medium`, `high` or `auto`. @default 'auto' */
  quality?: 'low' | 'medium' | 'high' | 'auto';
  /** OpenAI's own moderation strictness. @default 'auto' */
  moderation?: 'auto' | 'low';
  /** Optional `OpenAI-Organization` header. */
  organization?: string;
  /** Limit of one synchronous call (generation takes up to a minute or two). @default 180000 */
  requestTimeoutMs?: number;
}

const imagesSchema = z.object({
  data: z.array(z.object({ b64_json: z.string().min(1).nullish(), url: z.string().min(1).nullish() })).min(1),
});

/**
 * The gpt-image size nearest to an aspect ratio (1024x1024, 1536x1024 or 1024x1536); the exact
 * ratio is not honoured and is listed in `unsupported`.
 */
export function openAiSize(aspectRatio: AspectRatio): string {
  return sizeOf(familyOf(OPENAI_MODELS, 'gpt-image-1'), aspectRatio);
}

function sizeOf(family: OpenAiModel, aspectRatio: AspectRatio): string {
  return family.size.kind === 'fixed' ? nearestSize(aspectRatio, family.size.sizes) : '1024x1024';
}

/**
 * OpenAI Images API (platform.openai.com/docs/api-reference/images): synchronous. Text-to-image is
 * `POST /images/generations`, image-to-image `POST /images/edits` (multipart, the input as
 * `image[]`, or `image` for dall-e-2); gpt-image answers `data[0].b64_json`, dall-e `data[0].url`.
 * The fields are shaped per model from {@link OPENAI_MODELS}. A safety refusal is HTTP 400 with
 * `error.code = "moderation_blocked"` and becomes a `moderated_input` failure. The result is known
 * at submit, so there is nothing to poll after a restart: such a request fails as not found.
 */
export function createOpenAiProvider(options: OpenAiProviderOptions): HttpProviderAdapter {
  const name = 'openai';
  const model = options.model ?? 'gpt-image-1';
  const baseUrl = (options.baseUrl ?? 'https://api.openai.com/v1').replace(/\/+$/, '');
  const http = providerHttpFor(name, options, 8);
  const warn = onceWarner(options.logger, name);
  const family = familyOf(OPENAI_MODELS, model);
  const requestTimeoutMs = options.requestTimeoutMs ?? family.pollPolicy.submitTimeoutMs ?? 180_000;
  const headers = (key: string) => ({
    authorization: `Bearer ${key}`,
    ...(options.organization ? { 'openai-organization': options.organization } : {}),
  });

  function fields(input: GenerationInput): Record<string, string> {
    const out: Record<string, string> = { model, prompt: input.prompt, n: '1', size: sizeOf(family, input.aspectRatio) };
    if (family.gptImageFields) {
      out.output_format = input.outputFormat;
      out.quality = options.quality ?? 'auto';
    }
    return out;
  }

  async function call(input: GenerationInput, key: string, signal: AbortSignal): Promise<ProviderStatus> {
    const base = fields(input);
    let body: unknown;
    let url: string;
    if (input.inputImage) {
      url = `${baseUrl}/images/edits`;
      const form = new FormData();
      for (const [k, v] of Object.entries(base)) form.append(k, v);
      // gpt-image-1 has no strength; input_fidelity high keeps more of the input image.
      if (family.inputFidelity) form.append('input_fidelity', (input.imagePromptStrength ?? 0.5) >= 0.5 ? 'high' : 'low');
      const ext = input.inputImage.contentType.split('/')[1] ?? 'png';
      const blob = new Blob([new Uint8Array(input.inputImage.bytes)], { type: input.inputImage.contentType });
      form.append(family.imageField, blob, `input.${ext}`);
      body = form;
    } else {
      url = `${baseUrl}/images/generations`;
      body = { ...base, n: 1, ...(family.gptImageFields ? { moderation: options.moderation ?? 'auto' } : {}) };
    }
    try {
      const response = await sendRequest(url, {
        provider: name,
        headers: headers(key),
        body,
        signal,
        timeoutMs: requestTimeoutMs,
        maxBodyBytes: 64 * 1024 * 1024,
      });
      const first = imagesSchema.safeParse(response.json).data?.data[0];
      // gpt-image always answers b64_json; dall-e a URL (unless response_format asked for b64_json).
      if (!family.gptImageFields && first?.url && !first.b64_json) return { state: 'succeeded', output: { url: first.url } };
      if (!first?.b64_json)
        throw new ProviderError(
          'invalid_response',
          `openai answered without data[0].b64_json${family.gptImageFields ? '' : ' or data[0].url'}: ${JSON.stringify(response.json)?.slice(0, 200)}`,
        );
      const bytes = fromBase64(first.b64_json);
      const contentType = sniffImageType(bytes);
      if (!contentType) throw new ProviderError('invalid_response', 'openai answered b64_json that is not a PNG, JPEG or WebP image');
      return { state: 'succeeded', output: { bytes, contentType } };
    } catch (error) {
      if (error instanceof HttpStatusError && error.status === 400 && /moderation_blocked|safety system/i.test(error.bodySnippet)) {
        return {
          state: 'failed',
          reason: 'moderated_input',
          message: `openai refused the request: its safety system flagged the prompt or image (${error.bodySnippet})`,
        };
      }
      throw error;
    }
  }

  return {
    name,
    capabilities: portCapabilities(family, family.inputImage ? family : null),
    unsupported: unsupportedList(family, family.inputImage ? family : null),
    pollPolicy: { ...family.pollPolicy, submitTimeoutMs: requestTimeoutMs, ...options.pollPolicy },
    model,
    keyStats: () => http.pool.stats(),
    keyLabelOf: (requestId) => http.keyLabelOf(requestId),

    async submit(input, ctx): Promise<SubmitResult> {
      checkInput(name, family, input, warn);
      const { value, lease } = await http.start(ctx.signal, (lease) => call(input, lease.key, ctx.signal));
      lease.release(value.state === 'succeeded' ? 'success' : 'failure');
      return { requestId: `openai-${randomUUID()}`, status: value };
    },

    async poll(requestId): Promise<ProviderStatus> {
      return {
        state: 'failed',
        reason: 'not_found',
        message: `openai answers synchronously; the result of the interrupted request ${requestId} cannot be fetched again`,
      };
    },

    // dall-e result URLs are on OpenAI's blob storage: downloaded without the key.
    download: resultDownloader(name, new URL(baseUrl).origin, options),
  };
}
