import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStorageConformance } from '../../src/adapter-kit/index.js';
import { createMemoryStorage } from '../../src/adapters/storage/memory/index.js';

runStorageConformance({
  name: 'memory',
  create: async () => ({ storage: createMemoryStorage() }),
  describe,
  it,
  expect,
  beforeAll,
  afterAll,
});
