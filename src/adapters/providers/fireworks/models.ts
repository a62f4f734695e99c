import { ASPECT_RATIOS } from '../../../core/schemas/params.js';
import type { ModelCapabilities } from '../provider-kit/model-capabilities.js';

/** Which Fireworks workflow a family runs on (`getUrlForModel` in `@ai-sdk/fireworks`). */
export interface FireworksModel extends ModelCapabilities {
  /** `async`: `POST …/<model>` then `…/<model>/get_result`; `text_to_image`: one synchronous call answering bytes. */
  workflow: 'async' | 'text_to_image';
}

/**
 * Fireworks FLUX families (docs.fireworks.ai). Kontext answers `request_id` and is polled; the
 * official client gives it 120 s, and so does this one. FLUX.1 [schnell]/[dev] fp8 answer the
 * image itself (the `Accept` header picks JPEG or PNG) and do not edit.
 */
export const FIREWORKS_MODELS: readonly FireworksModel[] = [
  {
    family: 'FLUX.1 Kontext',
    matches: /kontext/,
    workflow: 'async',
    size: { kind: 'aspect_ratio', ratios: ASPECT_RATIOS },
    seed: true,
    outputFormats: ['png', 'jpeg'],
    strength: null,
    inputFidelity: false,
    // The docs take "Base64 encoded image or URL"; the official client sends a data URL — a URL
    // both accept, so that is what goes.
    inputImage: { field: 'input_image', encoding: 'data-url' },
    result: 'polled at …/get_result; result.sample is a URL',
    pollPolicy: { maxPolls: 120, pollIntervalMs: 1000 },
    unsupported: { image_prompt_strength: 'dropped' },
  },
  {
    family: 'FLUX.1 [schnell] / [dev] fp8',
    matches: /^flux-1-(schnell|dev)/,
    workflow: 'text_to_image',
    size: { kind: 'aspect_ratio', ratios: ASPECT_RATIOS },
    seed: true,
    outputFormats: ['png', 'jpeg'],
    strength: null,
    inputFidelity: false,
    inputImage: null,
    result: 'image bytes in the response (synchronous)',
    pollPolicy: { maxPolls: 1, pollIntervalMs: 1000, submitTimeoutMs: 60_000 },
    unsupported: { input_image: 'refused' },
  },
];
