import { ASPECT_RATIOS } from '../../../core/schemas/params.js';
import type { ModelCapabilities } from '../provider-kit/model-capabilities.js';

/** What fal's endpoints take beyond the shared table. */
export interface FalModel extends ModelCapabilities {
  /** Takes `safety_tolerance` ("1" … "6"): the BFL-hosted pro endpoints; dev has a safety checker instead. */
  safetyTolerance: boolean;
}

/** fal's queue has no documented limit and the official client waits without one; five minutes here. */
const FAL_POLL = { maxPolls: 300, pollIntervalMs: 1000 };
const RESULT = 'queue: status until COMPLETED, then the result images[0].url (has_nsfw_concepts marks a blanked image)';
const IMAGE_SIZE = {
  kind: 'image_size',
  presets: {
    '1:1': 'square_hd',
    '4:3': 'landscape_4_3',
    '3:4': 'portrait_4_3',
    '16:9': 'landscape_16_9',
    '9:16': 'portrait_16_9',
  },
  grid: { multiple: 32, min: 256, max: 1440, megapixels: 1 },
} as const;

/**
 * fal FLUX endpoints (`@fal-ai/client`, `src/types/endpoints.d.ts`). Kontext takes `aspect_ratio`;
 * FLUX.1 [dev]/[schnell] and FLUX 1.1 [pro] take `image_size` (a preset or `{ width, height }`);
 * `fal-ai/flux/dev/image-to-image` takes `strength` (how much changes) and keeps the input's shape.
 */
export const FAL_MODELS: readonly FalModel[] = [
  {
    family: 'FLUX.1 Kontext',
    matches: /kontext/,
    size: { kind: 'aspect_ratio', ratios: ASPECT_RATIOS },
    seed: true,
    outputFormats: ['png', 'jpeg'],
    strength: null,
    inputFidelity: false,
    inputImage: { field: 'image_url', encoding: 'data-url' },
    result: RESULT,
    pollPolicy: FAL_POLL,
    unsupported: { image_prompt_strength: 'dropped' },
    safetyTolerance: true,
  },
  {
    family: 'FLUX.1 [dev] image-to-image',
    matches: /flux\/dev\/image-to-image/,
    size: { kind: 'match_input' },
    seed: true,
    outputFormats: ['png', 'jpeg'],
    strength: { field: 'strength', scale: 'change' },
    inputFidelity: false,
    inputImage: { field: 'image_url', encoding: 'data-url' },
    result: RESULT,
    pollPolicy: FAL_POLL,
    unsupported: { aspect_ratio: 'dropped' },
    safetyTolerance: false,
  },
  {
    family: 'FLUX 1.1 [pro]',
    matches: /flux-pro/,
    size: IMAGE_SIZE,
    seed: true,
    outputFormats: ['png', 'jpeg'],
    strength: null,
    inputFidelity: false,
    inputImage: null,
    result: RESULT,
    pollPolicy: FAL_POLL,
    unsupported: { input_image: 'refused' },
    safetyTolerance: true,
  },
  {
    family: 'FLUX.1 [dev] / [schnell]',
    matches: /flux/,
    size: IMAGE_SIZE,
    seed: true,
    outputFormats: ['png', 'jpeg'],
    strength: null,
    inputFidelity: false,
    inputImage: null,
    result: RESULT,
    pollPolicy: FAL_POLL,
    unsupported: { input_image: 'refused' },
    safetyTolerance: false,
  },
];
