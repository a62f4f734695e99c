import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStorageConformance } from '../../src/adapter-kit/index.js';
import { createPostgresStorage } from '../../src/adapters/storage/postgres/index.js';
import { DATABASE_URL, dropSchema, postgresAvailable, uniqueSchema } from './postgres-server.js';

const available = await postgresAvailable();

describe.runIf(available)('postgres', () => {
  runStorageConformance({
    name: 'postgres',
    create: async () => {
      const schema = uniqueSchema('conformance');
      const storage = await createPostgresStorage({ connectionString: DATABASE_URL, schema });
      return {
        storage,
        cleanup: async () => {
          await storage.close();
          await dropSchema(schema);
        },
      };
    },
    describe,
    it,
    expect,
    beforeAll,
    afterAll,
  });
});
