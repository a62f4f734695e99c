import { createMemoryImageStore } from '../../src/adapters/image-stores/memory/index.js';
import { createOfflineProvider, type OfflineProviderOptions } from '../../src/adapters/providers/offline/index.js';
import { createMemoryStorage } from '../../src/adapters/storage/memory/index.js';
import { createEngine, type Engine } from '../../src/core/engine.js';
import type { EngineOptions } from '../../src/core/options.js';
import type { TaskProgressEvent } from '../../src/core/events.js';

const quiet = { warn() {}, error() {} };

/** An engine on memory storage with a fast offline provider (tiny images, 5 ms polls). */
export function testEngine(
  provider: OfflineProviderOptions = {},
  options: Partial<EngineOptions> = {},
): Engine & { imageStore: ReturnType<typeof createMemoryImageStore>; progress: TaskProgressEvent[] } {
  const imageStore = createMemoryImageStore();
  const engine = createEngine({
    storage: createMemoryStorage(),
    provider: createOfflineProvider({ size: 32, ...provider }),
    imageStore,
    pollPolicy: { pollIntervalMs: 5, maxPolls: 40 },
    progressWriteIntervalMs: 0,
    logger: quiet,
    ...options,
  });
  const progress: TaskProgressEvent[] = [];
  engine.events.on('task:progress', (e) => progress.push(e));
  return Object.assign(engine, { imageStore, progress });
}
