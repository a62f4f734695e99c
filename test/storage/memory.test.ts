import { createMemoryStorage } from '../../src/adapters/storage/memory/index.js';
import { runStorageConformance } from '../conformance/index.js';

runStorageConformance('memory', async () => ({ storage: createMemoryStorage() }));
