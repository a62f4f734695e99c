import { createMemoryStorage } from '../../src/adapters/storage/memory/index.js';
import { runStorageConformance } from '../../src/adapter-kit/conformance/index.js';

runStorageConformance('memory', async () => ({ storage: createMemoryStorage() }));
