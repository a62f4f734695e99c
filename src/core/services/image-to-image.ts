import { assertUsername } from '../ids.js';
import type { ImageLimits } from '../image-input/limits.js';
import type { PromptModerator } from '../options.js';
import { toTaskParams } from '../schemas/params.js';
import { parseOrThrow } from '../schemas/parse.js';
import { imageToImageRequestSchema } from '../schemas/requests.js';
import { assertProviderSupports } from './provider-support.js';
import { resolveInputImage } from './input-image.js';
import { moderatePrompts } from './moderation.js';
import type {
  InputImageFetcher,
  SingleGenerationOptions,
  SingleGenerationResult,
  SingleGenerationService,
} from '../ports/single-generation.js';
import { runSingleGeneration, type SingleGenerationDeps } from './single-generation-flow.js';

/** Default `image_prompt_strength`: half input image, half prompt. */
export const DEFAULT_IMAGE_PROMPT_STRENGTH = 0.5;

export interface ImageToImageDeps extends SingleGenerationDeps {
  price: number;
  limits: ImageLimits;
  moderatePrompt: PromptModerator | undefined;
  /** Fetches `input_image` URLs; without it only data URLs are accepted. */
  fetchInputImage: InputImageFetcher | undefined;
}

/**
 * Image-to-image ("改图"): an input image (data URL, or URL through the host's guarded fetcher)
 * plus a prompt. Everything is checked before the charge (2 credits by default); any failure after
 * it refunds exactly once. The result is copied into the ImageStore and recorded as
 * `record:{username}:{timestamp}`.
 */
export class ImageToImage implements SingleGenerationService {
  constructor(private readonly deps: ImageToImageDeps) {}

  async run(username: string, body: unknown, options: SingleGenerationOptions = {}): Promise<SingleGenerationResult> {
    assertUsername(username);
    const request = parseOrThrow(imageToImageRequestSchema, body);
    const params = toTaskParams(request);
    const strength = request.image_prompt_strength ?? DEFAULT_IMAGE_PROMPT_STRENGTH;
    const { deps } = this;
    assertProviderSupports(deps.pipeline.provider, {
      outputFormat: params.output_format,
      imageToImage: true,
      aspectRatio: params.aspect_ratio,
    });
    return runSingleGeneration(
      deps,
      {
        type: 'image_to_image',
        price: deps.price,
        username,
        request: { ...request, image_prompt_strength: strength, ...params },
        imagePromptStrength: strength,
        prepare: async (signal) => {
          await moderatePrompts(deps.moderatePrompt, [request.prompt], 'prompt', username);
          const inputImage = await resolveInputImage(request.input_image, { fetcher: deps.fetchInputImage, limits: deps.limits, signal });
          return {
            prompt: request.prompt,
            aspectRatio: params.aspect_ratio,
            seed: params.seed,
            outputFormat: params.output_format,
            inputImage,
            imagePromptStrength: strength,
          };
        },
      },
      options,
    );
  }
}
