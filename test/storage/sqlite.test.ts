import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStorageConformance } from '../../src/adapter-kit/index.js';
import { createSqliteStorage } from '../../src/adapters/storage/sqlite/index.js';

runStorageConformance({
  name: 'sqlite',
  create: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'igk-sqlite-'));
    const storage = createSqliteStorage({ path: join(dir, 'conformance.db') });
    return {
      storage,
      cleanup: async () => {
        await storage.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  describe,
  it,
  expect,
  beforeAll,
  afterAll,
});
