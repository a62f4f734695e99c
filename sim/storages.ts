import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StorageAdapter } from '../src/core/ports/storage-adapter.js';

export const STORAGE_NAMES = ['memory', 'sqlite', 'redis', 'postgres'] as const;
export type StorageName = (typeof STORAGE_NAMES)[number];

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh, empty storage of that kind, and how to throw it away. */
export interface FreshStorage {
  storage: StorageAdapter;
  cleanup(): Promise<void>;
}

let counter = 0;
const unique = () => `${process.pid}_${Date.now().toString(36)}_${counter++}`;

/**
 * Creates an empty storage: a memory one, an SQLite file in a temporary directory, a random Redis
 * key prefix or a random PostgreSQL schema (dropped again by `cleanup`).
 */
export async function freshStorage(name: StorageName): Promise<FreshStorage> {
  switch (name) {
    case 'memory': {
      const { createMemoryStorage } = await import('../src/adapters/storage/memory/index.js');
      return { storage: createMemoryStorage(), cleanup: async () => {} };
    }
    case 'sqlite': {
      const { createSqliteStorage } = await import('../src/adapters/storage/sqlite/index.js');
      const dir = mkdtempSync(join(tmpdir(), 'igk-sim-'));
      const storage = createSqliteStorage({ path: join(dir, 'sim.db') });
      return {
        storage,
        cleanup: async () => {
          await storage.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    case 'redis': {
      const { Redis } = await import('ioredis');
      const { createRedisStorage } = await import('../src/adapters/storage/redis/index.js');
      const client = new Redis(REDIS_URL);
      const prefix = `igk-sim:${unique()}:`;
      const storage = createRedisStorage({ client }, { prefix });
      return {
        storage,
        cleanup: async () => {
          let cursor = '0';
          do {
            const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
            cursor = next;
            if (keys.length) await client.unlink(...keys);
          } while (cursor !== '0');
          await storage.close();
          client.disconnect();
        },
      };
    }
    case 'postgres': {
      const pg = (await import('pg')).default;
      const { createPostgresStorage } = await import('../src/adapters/storage/postgres/index.js');
      const schema = `igk_sim_${unique()}`;
      const storage = await createPostgresStorage({ connectionString: DATABASE_URL, schema });
      return {
        storage,
        cleanup: async () => {
          await storage.close();
          const client = new pg.Client({ connectionString: DATABASE_URL });
          await client.connect();
          try {
            await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          } finally {
            await client.end();
          }
        },
      };
    }
  }
}
