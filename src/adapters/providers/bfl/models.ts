import { ASPECT_RATIOS } from '../../../core/schemas/params.js';
import type { ModelCapabilities } from '../provider-kit/model-capabilities.js';

/**
 * The official client waits 60 s; BFL's docs give seconds for a generation and keep the result
 * URL 10 minutes. Two minutes leave room for queueing at peak times.
 */
const BFL_POLL = { maxPolls: 120, pollIntervalMs: 1000 };
const RESULT = 'polled at polling_url; result.sample is a signed URL (about 10 min)';

/**
 * BFL model families (docs.bfl.ai, "API reference"). FLUX.1 [pro]/[dev]/1.1 [pro] take width and
 * height in multiples of 32 from 256 to 1440; FLUX.2 in multiples of 16 (at least 64, up to 4 MP);
 * Kontext and Ultra take `aspect_ratio` (21:9 … 9:21). The last entry is the catch-all.
 */
export const BFL_MODELS: readonly ModelCapabilities[] = [
  {
    family: 'FLUX.1 Kontext',
    matches: /kontext/,
    size: { kind: 'aspect_ratio', ratios: ASPECT_RATIOS },
    seed: true,
    outputFormats: ['png', 'jpeg'],
    strength: null,
    inputFidelity: false,
    inputImage: { field: 'input_image', encoding: 'base64' },
    result: RESULT,
    pollPolicy: BFL_POLL,
    unsupported: { image_prompt_strength: 'dropped' },
  },
  {
    family: 'FLUX 1.1 [pro] Ultra',
    matches: /ultra/,
    size: { kind: 'aspect_ratio', ratios: ASPECT_RATIOS },
    seed: true,
    outputFormats: ['png', 'jpeg'],
    strength: { field: 'image_prompt_strength', scale: 'keep' },
    inputFidelity: false,
    inputImage: { field: 'image_prompt', encoding: 'base64' },
    result: RESULT,
    pollPolicy: BFL_POLL,
    unsupported: {},
  },
  {
    family: 'FLUX.2',
    matches: /^flux-2/,
    size: { kind: 'grid', grid: { multiple: 16, min: 64, max: 2048, megapixels: 1 } },
    seed: true,
    outputFormats: ['png', 'jpeg'],
    strength: null,
    inputFidelity: false,
    inputImage: { field: 'input_image', encoding: 'base64' },
    result: RESULT,
    pollPolicy: BFL_POLL,
    unsupported: { image_prompt_strength: 'dropped' },
  },
  {
    family: 'FLUX.1 [pro] / [dev] / 1.1 [pro]',
    matches: /^flux-(pro|dev)/,
    size: { kind: 'grid', grid: { multiple: 32, min: 256, max: 1440, megapixels: 1 } },
    seed: true,
    outputFormats: ['png', 'jpeg'],
    strength: null,
    inputFidelity: false,
    // An image prompt (Redux), not an edit: the result follows it loosely.
    inputImage: { field: 'image_prompt', encoding: 'base64' },
    result: RESULT,
    pollPolicy: BFL_POLL,
    unsupported: { image_prompt_strength: 'dropped' },
  },
];
