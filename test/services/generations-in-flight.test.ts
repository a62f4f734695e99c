import { describe, expect, it } from 'vitest';
import { createOfflineProvider } from '../../src/adapters/providers/offline/index.js';
import { RateLimitedError } from '../../src/core/errors/index.js';
import type { ProviderAdapter } from '../../src/core/ports/provider-adapter.js';
import { b64, makeImage } from '../image-input/fixtures.js';
import { ledgerLines, testEngine } from './helpers.js';

/** The offline provider, with every submit held until `open()`. */
function gatedProvider() {
  const offline = createOfflineProvider({ size: 32, pollsBeforeReady: 0, pollPolicy: { pollIntervalMs: 1 } });
  let open = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  let submits = 0;
  const provider: ProviderAdapter = {
    ...offline,
    submit: async (input, ctx) => {
      submits++;
      await gate;
      return offline.submit(input, ctx);
    },
    poll: (id, ctx) => offline.poll(id, ctx),
  };
  return { provider, open, submits: () => submits };
}

const until = async (check: () => boolean) => {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 2));
};

describe('single generations in flight per user', () => {
  it('refuses the fifth at once with 429 and retry_after, charging nothing for it; others and later ones run', async () => {
    const gated = gatedProvider();
    const { engine } = await testEngine({ credits: 20, customProvider: gated.provider });
    await engine.credits.grant('bob', 5, { idempotencyKey: 'bob' });
    const running = [1, 2, 3, 4].map((i) => engine.textToImage.run('alice', { prompt: `fox ${i}` }));
    await until(() => gated.submits() === 4);

    const refused = await engine.textToImage.run('alice', { prompt: 'one too many' }).catch((e) => e);
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect(refused.status).toBe(429);
    expect(refused.toJSON()).toMatchObject({ code: 'rate_limited', retry_after: 5 });
    // Image-to-image shares the ceiling.
    const image = b64(await makeImage('png', 16, 16));
    await expect(
      engine.imageToImage.run('alice', { prompt: 'edit', input_image: `data:image/png;base64,${image}` }),
    ).rejects.toBeInstanceOf(RateLimitedError);
    expect(await engine.credits.balance('alice')).toBe(16);
    expect(await ledgerLines(engine)).toEqual(['grant 20', 'charge -1', 'charge -1', 'charge -1', 'charge -1']);
    expect(gated.submits()).toBe(4);

    // Another user is not held back by alice.
    const bobs = engine.textToImage.run('bob', { prompt: 'an owl' });
    await until(() => gated.submits() === 5);

    gated.open();
    await Promise.all([...running, bobs]);
    await expect(engine.textToImage.run('alice', { prompt: 'after' })).resolves.toMatchObject({ creditsRemaining: 15 });
  });

  it('frees the slot of a generation that failed, and Infinity turns the ceiling off', async () => {
    const { engine } = await testEngine({
      credits: 10,
      maxGenerationsInFlightPerUser: 1,
      provider: { failWhen: (input) => (input.prompt === 'doomed' ? { reason: 'provider_error', message: 'broke' } : null) },
    });
    await expect(engine.textToImage.run('alice', { prompt: 'doomed' })).rejects.toMatchObject({ code: 'provider_error' });
    await expect(engine.textToImage.run('alice', { prompt: 'fine' })).resolves.toMatchObject({ creditsRemaining: 9 });

    const open = await testEngine({ credits: 10, maxGenerationsInFlightPerUser: Number.POSITIVE_INFINITY });
    const all = await Promise.all(Array.from({ length: 8 }, (_, i) => open.engine.textToImage.run('alice', { prompt: `p${i}` })));
    expect(all).toHaveLength(8);
  });

  it('rejects a ceiling that is not a whole number of 1 or more', async () => {
    await expect(testEngine({ maxGenerationsInFlightPerUser: 0 })).rejects.toThrow(/maxGenerationsInFlightPerUser/);
  });
});
