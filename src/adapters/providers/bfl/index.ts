import { encodeBase64 } from '../../../core/image-input/base64.js';
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
  type ModelCapabilities,
} from '../provider-kit/model-capabilities.js';
import {
  resultDownloader,
  providerHttpFor,
  type CommonProviderOptions,
  type HttpProviderAdapter,
  type WebhookSettings,
} from '../provider-kit/http-provider-adapter.js';
import { decodeRef, encodeRef } from '../provider-kit/request-ref.js';
import { sendRequest } from '../provider-kit/send-request.js';
import { mapFluxStatus } from './flux-status.js';
import { BFL_MODELS } from './models.js';

/** BFL's documented base URLs: the global one routes across clusters and needs `polling_url`. */
export const BFL_REGIONS = { global: 'https://api.bfl.ai', eu: 'https://api.eu.bfl.ai', us: 'https://api.us.bfl.ai' } as const;

export interface BflProviderOptions extends CommonProviderOptions {
  /** Text-to-image model path (`POST /v1/<model>`). @default 'flux-kontext-pro' */
  model?: string;
  /** Image-to-image model: Kontext and FLUX.2 take `input_image`, Ultra `image_prompt` + strength. @default model */
  editModel?: string;
  /** A region or a base URL. @default 'global' */
  region?: keyof typeof BFL_REGIONS | (string & {});
  /** 0 (strict) to 6 (permissive); BFL limits image-to-image to 2. @default 2 */
  safetyTolerance?: number;
  /** Push results to a webhook (`webhook_url` + `webhook_secret`); polling stays the fallback. */
  webhook?: WebhookSettings & { secret: string };
  /** Hosts a `polling_url` may point to (the key is sent there). @default ['bfl.ai', 'bfl.ml'] and the base URL's host */
  pollingHosts?: readonly string[];
}

const submitSchema = z.object({ id: z.string().min(1), polling_url: z.string().url().optional() });

/**
 * Black Forest Labs FLUX (docs.bfl.ai): `POST /v1/<model>` with the `x-key` header answers
 * `{ id, polling_url }`; the adapter polls `polling_url` (required on the global endpoint) until
 * `Ready`, then copies `result.sample` (a URL valid about 10 minutes). The stored request id
 * carries the polling URL and the key's fingerprint, so another process can finish the poll.
 * BFL has no cancel endpoint; `cancel` only frees the key. Output: png or jpeg. The body is shaped
 * per model family from {@link BFL_MODELS}.
 */
export function createBflProvider(options: BflProviderOptions): HttpProviderAdapter {
  const name = 'bfl';
  const model = options.model ?? 'flux-kontext-pro';
  const editModel = options.editModel ?? model;
  const baseUrl = (BFL_REGIONS[options.region as keyof typeof BFL_REGIONS] ?? options.region ?? BFL_REGIONS.global).replace(/\/+$/, '');
  const base = new URL(baseUrl);
  const pollingHosts = [...(options.pollingHosts ?? ['bfl.ai', 'bfl.ml']), base.hostname];
  const http = providerHttpFor(name, options, 24);
  const warn = onceWarner(options.logger, name);
  const text = familyOf(BFL_MODELS, model);
  const edit = familyOf(BFL_MODELS, editModel);

  /** The request body, shaped by the target model's family (see {@link BFL_MODELS}). */
  function body(input: GenerationInput, family: ModelCapabilities): Record<string, unknown> {
    const out: Record<string, unknown> = {
      prompt: input.prompt,
      output_format: input.outputFormat,
      safety_tolerance: Math.min(options.safetyTolerance ?? 2, input.inputImage ? 2 : 6),
    };
    if (input.seed !== null && family.seed) out.seed = input.seed;
    if (family.size.kind === 'aspect_ratio') out.aspect_ratio = input.aspectRatio;
    else if (family.size.kind === 'grid') Object.assign(out, gridSize(input.aspectRatio, family.size.grid));
    if (input.inputImage && family.inputImage) {
      out[family.inputImage.field] = encodeBase64(input.inputImage.bytes);
      if (family.strength) out[family.strength.field] = input.imagePromptStrength ?? 0.5;
    }
    if (options.webhook) {
      out.webhook_url = options.webhook.url;
      out.webhook_secret = options.webhook.secret;
    }
    return out;
  }

  function pollingUrl(ref: { id: string; url?: string | undefined }): string {
    if (!ref.url) return `${baseUrl}/v1/get_result?id=${encodeURIComponent(ref.id)}`;
    const host = new URL(ref.url).hostname;
    if (!pollingHosts.some((allowed) => host === allowed || host.endsWith(`.${allowed}`))) {
      throw new ProviderError('invalid_response', `bfl gave a polling_url on an unexpected host (${host}); the key is not sent there`);
    }
    return ref.url;
  }

  const headers = (key: string) => ({ 'x-key': key });

  return {
    name,
    capabilities: portCapabilities(text, edit),
    unsupported: unsupportedList(text, edit),
    pollPolicy: { ...pollPolicyOf([text, edit]), ...options.pollPolicy },
    model,
    keyStats: () => http.pool.stats(),
    keyLabelOf: (requestId) => http.keyLabelOf(requestId),

    async submit(input, ctx): Promise<SubmitResult> {
      const target = input.inputImage ? editModel : model;
      const family = input.inputImage ? edit : text;
      checkInput(name, family, input, warn);
      const payload = body(input, family);
      const { value, lease } = await http.start(ctx.signal, async (lease) => {
        const response = await sendRequest(`${baseUrl}/v1/${target}`, {
          provider: name,
          headers: headers(lease.key),
          body: payload,
          signal: ctx.signal,
        });
        const parsed = submitSchema.safeParse(response.json);
        if (!parsed.success)
          throw new ProviderError(
            'invalid_response',
            `bfl answered the submit without an id: ${JSON.stringify(response.json)?.slice(0, 200)}`,
          );
        return parsed.data;
      });
      const requestId = encodeRef({ id: value.id, key: lease.fingerprint, url: value.polling_url });
      try {
        pollingUrl({ id: value.id, url: value.polling_url });
      } catch (error) {
        lease.release('failure');
        throw error;
      }
      http.hold(requestId, lease, ctx.signal);
      return { requestId };
    },

    async poll(requestId, ctx): Promise<ProviderStatus> {
      const ref = decodeRef(requestId);
      const url = pollingUrl(ref);
      const status = await http.follow(requestId, ref.key ?? null, ctx.signal, async (lease) => {
        const response = await sendRequest(url, { provider: name, headers: headers(lease.key), signal: ctx.signal });
        return mapFluxStatus(name, response.json);
      });
      http.finishIfFinal(requestId, status);
      return status;
    },

    async cancel(requestId) {
      http.finish(requestId, 'failure');
    },

    waitForStatus: (requestId, ms, ctx) => http.waitForWebhook(options.webhook?.inbox, requestId, ms, ctx.signal),

    download: resultDownloader(name, base.origin, options),
  };
}
