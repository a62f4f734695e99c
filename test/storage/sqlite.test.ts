import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStorage } from '../../src/adapters/storage/sqlite/index.js';
import { runStorageConformance } from '../../src/adapter-kit/conformance/index.js';

runStorageConformance('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'igk-sqlite-'));
  const storage = createSqliteStorage({ path: join(dir, 'conformance.db') });
  return {
    storage,
    cleanup: async () => {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
