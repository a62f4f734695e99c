import { MockImageModelV3 } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { createAiSdkProvider } from '../../src/adapters/providers/ai-sdk/index.js';
import { EDIT_INPUT, PNG, TEXT_INPUT, generate, memoryLogger } from './harness.js';

describe('ai-sdk adapter', () => {
  it('wraps any AI SDK image model: passes prompt, aspect ratio and seed, returns the bytes', async () => {
    const calls: any[] = [];
    const model = new MockImageModelV3({
      doGenerate: async (options) => {
        calls.push(options);
        return {
          images: [Buffer.from(PNG).toString('base64')],
          warnings: [{ type: 'unsupported', feature: 'seed' }],
          response: { timestamp: new Date(), modelId: 'm', headers: {} },
        };
      },
    });
    const logger = memoryLogger();
    const { image } = await generate(createAiSdkProvider({ model, logger }));
    expect(image).toMatchObject({ contentType: 'image/png' });
    expect(calls[0]).toMatchObject({ prompt: 'a red fox', aspectRatio: '16:9', seed: 7, n: 1 });
    expect(logger.lines.join()).toMatch(/unsupported/);
  });

  it('passes the input image for edits', async () => {
    const calls: any[] = [];
    const model = new MockImageModelV3({
      doGenerate: async (options) => {
        calls.push(options);
        return { images: [PNG], warnings: [], response: { timestamp: new Date(), modelId: 'm', headers: {} } };
      },
    });
    await generate(createAiSdkProvider({ model }), EDIT_INPUT);
    expect(calls[0].files).toHaveLength(1);
  });

  it('maps a safety refusal to moderated_input and other errors to provider_error', async () => {
    const refusing = new MockImageModelV3({ doGenerate: async () => Promise.reject(new Error('Request blocked by content policy')) });
    await expect(generate(createAiSdkProvider({ model: refusing, maxRetries: 0 }))).rejects.toMatchObject({ reason: 'moderated_input' });
    const broken = new MockImageModelV3({ doGenerate: async () => Promise.reject(new Error('upstream exploded')) });
    await expect(generate(createAiSdkProvider({ model: broken, maxRetries: 0 }), TEXT_INPUT)).rejects.toMatchObject({
      reason: 'provider_error',
    });
  });
});
