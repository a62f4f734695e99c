import { createMemoryImageStore } from '../../src/adapters/image-stores/memory/index.js';
import { runImageStoreSuite } from './image-store-suite.js';

runImageStoreSuite('memory', async () => createMemoryImageStore());
