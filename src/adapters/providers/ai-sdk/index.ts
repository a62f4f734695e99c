import { randomUUID } from 'node:crypto';
import type { ImageModel } from 'ai';
import { ProviderError } from '../../../core/errors/provider-error.js';
import type { Logger } from '../../../core/options.js';
import type { PollPolicy, ProviderAdapter, ProviderStatus, SubmitResult } from '../../../core/ports/provider-adapter.js';
import { sniffImageType } from '../provider-kit/image-type.js';

export interface AiSdkProviderOptions {
  /** Any AI SDK image model, e.g. `openai.image('gpt-image-1')`, `fal.image('fal-ai/flux/dev')`. */
  model: ImageModel;
  /** Name shown in errors and records. @default the model's provider id */
  name?: string;
  /** Passed through to the model (`providerOptions` of `generateImage`), e.g. an output format. */
  providerOptions?: Record<string, Record<string, unknown>>;
  /** Whether the model edits images (takes `prompt.images`). @default true */
  imageToImage?: boolean;
  /** AI SDK's own retries of one call. @default 2 */
  maxRetries?: number;
  pollPolicy?: Partial<PollPolicy>;
  /** Where the model's warnings (unsupported settings) are reported. */
  logger?: Logger;
}

/**
 * Wraps a Vercel AI SDK image model (`ai` is an optional peer, loaded on first use), so every
 * provider that SDK supports works. Synchronous like the SDK: the image is known at submit. The
 * SDK's own warnings (a setting the model ignores) are logged; aspect ratio and seed go through the
 * SDK's standard options; the output format is the model's (pass it in `providerOptions`).
 */
export function createAiSdkProvider(options: AiSdkProviderOptions): ProviderAdapter & { readonly unsupported: readonly string[] } {
  const model = options.model;
  const name = options.name ?? (typeof model === 'string' ? model : `ai-sdk:${model.provider}`);
  let generate: typeof import('ai').generateImage | undefined;

  async function run(input: Parameters<ProviderAdapter['submit']>[0], signal: AbortSignal): Promise<ProviderStatus> {
    generate ??= (await import('ai')).generateImage;
    try {
      const result = await generate({
        model,
        prompt: input.inputImage ? { text: input.prompt, images: [input.inputImage.bytes] } : input.prompt,
        n: 1,
        aspectRatio: input.aspectRatio as `${number}:${number}`,
        ...(input.seed !== null ? { seed: input.seed } : {}),
        ...(options.providerOptions ? { providerOptions: options.providerOptions as never } : {}),
        maxRetries: options.maxRetries ?? 2,
        abortSignal: signal,
      });
      for (const warning of result.warnings) options.logger?.warn(`${name}: ${JSON.stringify(warning)}`, { provider: name });
      const bytes = result.image.uint8Array;
      const contentType = sniffImageType(bytes) ?? result.image.mediaType;
      if (!bytes.length) throw new ProviderError('invalid_response', `${name} returned an empty image`);
      return { state: 'succeeded', output: { bytes, contentType } };
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      const message = error instanceof Error ? error.message : String(error);
      if (/moderation|safety|content policy|nsfw|flagged/i.test(message)) {
        return { state: 'failed', reason: 'moderated_input', message: `${name} refused the request: ${message.slice(0, 200)}` };
      }
      if (error instanceof ProviderError) throw error;
      throw new ProviderError('provider_error', `${name} failed: ${message.slice(0, 300)}`, {}, { cause: error });
    }
  }

  return {
    name,
    capabilities: { imageToImage: options.imageToImage ?? true, seed: true, outputFormats: ['png', 'jpeg', 'webp'] },
    unsupported: ['image_prompt_strength', 'output_format (the model decides; set it in providerOptions)'],
    ...(options.pollPolicy ? { pollPolicy: options.pollPolicy } : {}),
    async submit(input, ctx): Promise<SubmitResult> {
      if (input.inputImage && options.imageToImage === false)
        throw new ProviderError('provider_error', `${name} is configured without image-to-image`);
      return { requestId: `${name}-${randomUUID()}`, status: await run(input, ctx.signal) };
    },
    async poll(requestId): Promise<ProviderStatus> {
      return {
        state: 'failed',
        reason: 'not_found',
        message: `${name} answers synchronously; the result of the interrupted request ${requestId} cannot be fetched again`,
      };
    },
  };
}
