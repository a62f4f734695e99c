import { createMemoryImageStore } from '../../src/adapters/image-stores/memory/index.js';
import { createOfflineProvider, type OfflineProviderOptions } from '../../src/adapters/providers/offline/index.js';
import { createMemoryStorage } from '../../src/adapters/storage/memory/index.js';
import { createEngine, type EngineOptions } from '../../src/index.js';
import type { ImageStore } from '../../src/core/ports/image-store.js';
import type { ProviderAdapter } from '../../src/core/ports/provider-adapter.js';
import type { StorageAdapter } from '../../src/core/ports/storage-adapter.js';

export const silentLogger = { warn: () => {}, error: () => {} };

/** An engine on memory storage and the offline provider (fast polls), with `alice` holding `credits`. */
export async function testEngine(
  options: {
    credits?: number;
    provider?: OfflineProviderOptions;
    customProvider?: ProviderAdapter;
    storage?: StorageAdapter;
    imageStore?: ImageStore;
  } & Partial<Omit<EngineOptions, 'storage' | 'provider' | 'imageStore'>> = {},
) {
  const { credits = 10, provider: providerOptions, customProvider, storage: givenStorage, imageStore: givenStore, ...rest } = options;
  const provider = createOfflineProvider({ size: 64, pollsBeforeReady: 1, pollPolicy: { pollIntervalMs: 1 }, ...providerOptions });
  const storage = givenStorage ?? createMemoryStorage();
  const imageStore = givenStore ?? createMemoryImageStore();
  const engine = createEngine({ storage, provider: customProvider ?? provider, imageStore, logger: silentLogger, ...rest });
  if (credits > 0) await engine.credits.grant('alice', credits, { idempotencyKey: 'welcome' });
  return { engine, provider, storage, imageStore: imageStore as ImageStore & { size?: number } };
}

/** The ledger of a user, oldest first, as `kind amount` lines. */
export async function ledgerLines(engine: Awaited<ReturnType<typeof testEngine>>['engine'], username = 'alice'): Promise<string[]> {
  const page = await engine.credits.history(username, { limit: 100 });
  return page.items.reverse().map((entry) => `${entry.kind} ${entry.amount}`);
}
