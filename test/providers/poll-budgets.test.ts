import { describe, expect, it } from 'vitest';
import { createMemoryImageStore } from '../../src/adapters/image-stores/memory/index.js';
import { createBflProvider } from '../../src/adapters/providers/bfl/index.js';
import { createFalProvider } from '../../src/adapters/providers/fal/index.js';
import { createFireworksProvider } from '../../src/adapters/providers/fireworks/index.js';
import { createOpenAiProvider } from '../../src/adapters/providers/openai/index.js';
import { createReplicateProvider } from '../../src/adapters/providers/replicate/index.js';
import { createMemoryStorage } from '../../src/adapters/storage/memory/index.js';
import { createEngine } from '../../src/core/engine.js';
import type { ProviderAdapter } from '../../src/core/ports/provider-adapter.js';

const budgetMs = (p: { maxPolls: number; pollIntervalMs: number; submitTimeoutMs?: number }) =>
  p.maxPolls * p.pollIntervalMs + (p.submitTimeoutMs ?? 0);

// What each provider needs (the official clients wait 60 s for BFL, 120 s for Fireworks, without
// limit for fal and Replicate; a gpt-image-1 call often takes over a minute).
const cases: Array<[string, ProviderAdapter, number]> = [
  ['bfl', createBflProvider({ apiKeys: 'k' }), 60_000],
  ['fireworks', createFireworksProvider({ apiKeys: 'k' }), 120_000],
  ['fal', createFalProvider({ apiKeys: 'k' }), 180_000],
  ['replicate', createReplicateProvider({ apiKeys: 'k' }), 180_000],
  ['openai', createOpenAiProvider({ apiKeys: 'k' }), 120_000],
];

describe('each adapter states its own poll budget', () => {
  it.each(cases)('%s waits at least as long as the provider needs, and the engine uses it', (_name, provider, atLeastMs) => {
    expect(provider.pollPolicy).toBeDefined();
    expect(budgetMs({ maxPolls: 1, pollIntervalMs: 0, ...provider.pollPolicy })).toBeGreaterThanOrEqual(atLeastMs);
    const engine = createEngine({ storage: createMemoryStorage(), provider, imageStore: createMemoryImageStore() });
    expect(engine.pollPolicy).toMatchObject(provider.pollPolicy!);
    // The task timeout (seen through the idempotency staleness it sets) covers the whole budget.
    expect(engine.idempotency.staleAfterMs).toBe(budgetMs(engine.pollPolicy) + 30_000 + 120_000);
  });

  it('lets the host override the budget, and the task timeout follows the budget in force', () => {
    const provider = createBflProvider({ apiKeys: 'k' });
    const engine = createEngine({
      storage: createMemoryStorage(),
      provider,
      imageStore: createMemoryImageStore(),
      pollPolicy: { maxPolls: 5 },
    });
    expect(engine.pollPolicy).toEqual({ ...provider.pollPolicy, maxPolls: 5 });
    expect(engine.idempotency.staleAfterMs).toBe(5 * engine.pollPolicy.pollIntervalMs + 30_000 + 120_000);
  });
});
