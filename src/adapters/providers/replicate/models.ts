import { ASPECT_RATIOS } from '../../../core/schemas/params.js';
import type { ModelCapabilities } from '../provider-kit/model-capabilities.js';

/** What Replicate's FLUX models take beyond the shared table. */
export interface ReplicateModel extends ModelCapabilities {
  /** The `aspect_ratio` sent with an edit (`match_input_image` keeps the input's shape); null: the ratio asked for. */
  editAspectRatio: 'match_input_image' | null;
}

/**
 * Replicate's client waits without limit; official models are kept warm, community ones may boot
 * for minutes. Five minutes here.
 */
const REPLICATE_POLL = { maxPolls: 300, pollIntervalMs: 1000 };
const RESULT = 'prediction polled until succeeded; output is a URL (or a list) on replicate.delivery, about an hour';
const SMALL_DATA_URL = 'data-url' as const;

/**
 * Replicate FLUX models (replicate.com/black-forest-labs, each model's API schema). Input images
 * go as data URLs up to 256 KB and through the Files API above. The last entry is the catch-all
 * for other models (configured with `imageInputName`, `outputFormats`, `extraInput`).
 */
export const REPLICATE_MODELS: readonly ReplicateModel[] = [
  {
    family: 'FLUX.1 Kontext',
    matches: /flux-kontext/,
    size: { kind: 'aspect_ratio', ratios: ASPECT_RATIOS },
    seed: true,
    outputFormats: ['png', 'jpeg'],
    strength: null,
    inputFidelity: false,
    inputImage: { field: 'input_image', encoding: SMALL_DATA_URL },
    result: RESULT,
    pollPolicy: REPLICATE_POLL,
    unsupported: { image_prompt_strength: 'dropped' },
    editAspectRatio: 'match_input_image',
  },
  {
    family: 'FLUX.1 [dev]',
    matches: /\/flux-dev$/,
    size: { kind: 'aspect_ratio', ratios: ASPECT_RATIOS },
    seed: true,
    outputFormats: ['png', 'jpeg', 'webp'],
    // prompt_strength: 1 replaces the input image entirely.
    strength: { field: 'prompt_strength', scale: 'change' },
    inputFidelity: false,
    inputImage: { field: 'image', encoding: SMALL_DATA_URL },
    result: RESULT,
    pollPolicy: REPLICATE_POLL,
    unsupported: {},
    editAspectRatio: null,
  },
  {
    family: 'FLUX 1.1 [pro] / FLUX.1 [schnell]',
    matches: /\/flux-(1\.1-pro|schnell)$/,
    size: { kind: 'aspect_ratio', ratios: ASPECT_RATIOS },
    seed: true,
    outputFormats: ['png', 'jpeg', 'webp'],
    strength: null,
    inputFidelity: false,
    inputImage: null,
    result: RESULT,
    pollPolicy: REPLICATE_POLL,
    unsupported: { input_image: 'refused' },
    editAspectRatio: null,
  },
  {
    family: 'other models',
    matches: /$^/,
    size: { kind: 'aspect_ratio', ratios: ASPECT_RATIOS },
    seed: true,
    outputFormats: ['png', 'jpeg'],
    strength: null,
    inputFidelity: false,
    inputImage: { field: 'input_image', encoding: SMALL_DATA_URL },
    result: RESULT,
    pollPolicy: REPLICATE_POLL,
    unsupported: { image_prompt_strength: 'dropped' },
    editAspectRatio: 'match_input_image',
  },
];
