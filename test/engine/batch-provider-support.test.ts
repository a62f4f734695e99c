import { describe, expect, it } from 'vitest';
import { createOfflineProvider } from '../../src/adapters/providers/offline/index.js';
import { testEngine } from './harness.js';

describe('a batch the provider cannot make', () => {
  it('is refused before the charge when the model does not take its aspect ratio, naming the field', async () => {
    const offline = createOfflineProvider({ size: 32 });
    const squareOnly = { ...offline, capabilities: { ...offline.capabilities, aspectRatios: ['1:1' as const] } };
    const engine = testEngine({}, { provider: squareOnly });
    await engine.start();
    await engine.credits.grant('alice', 5, { idempotencyKey: 'g' });
    await expect(engine.batches.submit('alice', { prompt: 'wide', count: 2, aspect_ratio: '16:9' })).rejects.toMatchObject({
      code: 'validation',
      field: 'aspect_ratio',
    });
    expect(await engine.credits.balance('alice')).toBe(5);
    expect((await engine.batches.list('alice')).items).toEqual([]);
    const { batch } = await engine.batches.submit('alice', { prompt: 'square', count: 2, aspect_ratio: '1:1' });
    expect(batch.totalTasks).toBe(2);
    await engine.stop({ graceMs: 0 });
  });
});
