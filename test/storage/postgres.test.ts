import { describe } from 'vitest';
import { createPostgresStorage } from '../../src/adapters/storage/postgres/index.js';
import { runStorageConformance } from '../conformance/index.js';
import { DATABASE_URL, dropSchema, postgresAvailable, uniqueSchema } from './postgres-server.js';

const available = await postgresAvailable();

describe.runIf(available)('postgres', () => {
  runStorageConformance('postgres', async () => {
    const schema = uniqueSchema('conformance');
    const storage = await createPostgresStorage({ connectionString: DATABASE_URL, schema });
    return {
      storage,
      cleanup: async () => {
        await storage.close();
        await dropSchema(schema);
      },
    };
  });
});
