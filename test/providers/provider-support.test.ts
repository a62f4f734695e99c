import { describe, expect, it } from 'vitest';
import { createOpenAiProvider } from '../../src/adapters/providers/openai/index.js';
import { assertProviderSupports } from '../../src/core/services/provider-support.js';

describe('assertProviderSupports with a capability table', () => {
  it('refuses, before charging, an aspect ratio the model refuses, naming the field', () => {
    const dallE2 = createOpenAiProvider({ apiKeys: 'k', model: 'dall-e-2' });
    expect(() => assertProviderSupports(dallE2, { outputFormat: 'png', aspectRatio: '16:9' })).toThrow(
      expect.objectContaining({ code: 'validation', field: 'aspect_ratio' }),
    );
    expect(() => assertProviderSupports(dallE2, { outputFormat: 'png', aspectRatio: '1:1' })).not.toThrow();
  });

  it('lets a ratio through where the model maps it to its nearest size (and logs that)', () => {
    const gptImage = createOpenAiProvider({ apiKeys: 'k' });
    expect(() => assertProviderSupports(gptImage, { outputFormat: 'webp', aspectRatio: '21:9' })).not.toThrow();
  });

  it('refuses an input image for a model that does not edit, and a format it does not make', () => {
    const dallE3 = createOpenAiProvider({ apiKeys: 'k', model: 'dall-e-3' });
    expect(() => assertProviderSupports(dallE3, { outputFormat: 'png', imageToImage: true })).toThrow(
      expect.objectContaining({ field: 'input_image' }),
    );
    expect(() => assertProviderSupports(dallE3, { outputFormat: 'jpeg' })).toThrow(expect.objectContaining({ field: 'output_format' }));
  });
});
