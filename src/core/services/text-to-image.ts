import { assertUsername } from '../ids.js';
import type { PromptModerator } from '../options.js';
import { toTaskParams } from '../schemas/params.js';
import { parseOrThrow } from '../schemas/parse.js';
import { generateRequestSchema } from '../schemas/requests.js';
import { moderatePrompts } from './moderation.js';
import { assertProviderSupports } from './provider-support.js';
import type { SingleGenerationOptions, SingleGenerationResult, SingleGenerationService } from '../ports/single-generation.js';
import { runSingleGeneration, type SingleGenerationDeps } from './single-generation-flow.js';

export interface TextToImageDeps extends SingleGenerationDeps {
  price: number;
  moderatePrompt: PromptModerator | undefined;
}

/**
 * Text-to-image: one generation, 1 credit by default, checked before the charge and refunded
 * exactly once on any failure; recorded as `record:{username}:{timestamp}` with `type: "text_to_image"`.
 */
export class TextToImage implements SingleGenerationService {
  constructor(private readonly deps: TextToImageDeps) {}

  async run(username: string, body: unknown, options: SingleGenerationOptions = {}): Promise<SingleGenerationResult> {
    assertUsername(username);
    const request = parseOrThrow(generateRequestSchema, body);
    const params = toTaskParams(request);
    const { deps } = this;
    assertProviderSupports(deps.pipeline.provider, { outputFormat: params.output_format, aspectRatio: params.aspect_ratio });
    return runSingleGeneration(
      deps,
      {
        type: 'text_to_image',
        price: deps.price,
        username,
        request: { ...request, ...params },
        imagePromptStrength: null,
        prepare: async () => {
          await moderatePrompts(deps.moderatePrompt, [request.prompt], 'prompt', username);
          return { prompt: request.prompt, aspectRatio: params.aspect_ratio, seed: params.seed, outputFormat: params.output_format };
        },
      },
      options,
    );
  }
}
