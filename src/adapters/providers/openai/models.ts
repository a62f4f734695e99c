import type { ModelCapabilities } from '../provider-kit/model-capabilities.js';

/** What the Images API takes per model beyond the shared table. */
export interface OpenAiModel extends ModelCapabilities {
  /** Takes `output_format`, `moderation` and gpt-image `quality` (the gpt-image family). */
  gptImageFields: boolean;
  /** The multipart field of the input image: `image[]` (gpt-image, several allowed) or `image` (dall-e-2). */
  imageField: 'image[]' | 'image';
}

/** Synchronous: the budget is the call itself (generation takes up to a minute or two). */
const SYNC = { maxPolls: 1, pollIntervalMs: 1000, submitTimeoutMs: 180_000 };
const GPT_SIZES = ['1024x1024', '1536x1024', '1024x1536'];

/**
 * OpenAI image models (platform.openai.com/docs/api-reference/images). gpt-image answers
 * `data[0].b64_json` and takes `output_format`; dall-e answers `data[0].url` (about an hour) and
 * makes PNG; dall-e-3 does not edit; dall-e-2 only makes squares. Seed is never taken.
 */
export const OPENAI_MODELS: readonly OpenAiModel[] = [
  {
    family: 'gpt-image-1-mini',
    matches: /^gpt-image-1-mini/,
    size: { kind: 'fixed', sizes: GPT_SIZES },
    seed: false,
    outputFormats: ['png', 'jpeg', 'webp'],
    strength: null,
    inputFidelity: false,
    inputImage: { field: 'image[]', encoding: 'multipart' },
    result: 'data[0].b64_json in the response (synchronous)',
    pollPolicy: SYNC,
    unsupported: { aspect_ratio: 'dropped', seed: 'dropped', image_prompt_strength: 'dropped' },
    gptImageFields: true,
    imageField: 'image[]',
  },
  {
    family: 'dall-e-3',
    matches: /^dall-e-3/,
    size: { kind: 'fixed', sizes: ['1024x1024', '1792x1024', '1024x1792'] },
    seed: false,
    outputFormats: ['png'],
    strength: null,
    inputFidelity: false,
    inputImage: null,
    result: 'data[0].url in the response (synchronous), downloaded without the key',
    pollPolicy: SYNC,
    unsupported: { aspect_ratio: 'dropped', seed: 'dropped', input_image: 'refused' },
    gptImageFields: false,
    imageField: 'image',
  },
  {
    family: 'dall-e-2',
    matches: /^dall-e-2/,
    size: { kind: 'fixed', sizes: ['1024x1024'] },
    seed: false,
    outputFormats: ['png'],
    strength: null,
    inputFidelity: false,
    // dall-e-2 edits a square PNG whose transparent area marks what to change.
    inputImage: { field: 'image', encoding: 'multipart' },
    result: 'data[0].url in the response (synchronous), downloaded without the key',
    pollPolicy: SYNC,
    unsupported: { aspect_ratio: 'refused', seed: 'dropped', image_prompt_strength: 'dropped' },
    gptImageFields: false,
    imageField: 'image',
  },
  {
    family: 'gpt-image-1 / 1.5',
    matches: /^gpt-image/,
    size: { kind: 'fixed', sizes: GPT_SIZES },
    seed: false,
    outputFormats: ['png', 'jpeg', 'webp'],
    strength: null,
    // No strength: input_fidelity high keeps more of the input image (strength ≥ 0.5).
    inputFidelity: true,
    inputImage: { field: 'image[]', encoding: 'multipart' },
    result: 'data[0].b64_json in the response (synchronous)',
    pollPolicy: SYNC,
    unsupported: { aspect_ratio: 'dropped', seed: 'dropped', image_prompt_strength: 'dropped' },
    gptImageFields: true,
    imageField: 'image[]',
  },
];
