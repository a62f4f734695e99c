import { createPostgresStorage } from '../../../src/adapters/storage/postgres/index.js';
import { createRedisStorage } from '../../../src/adapters/storage/redis/index.js';
import { createSqliteStorage } from '../../../src/adapters/storage/sqlite/index.js';
import type { StorageAdapter } from '../../../src/core/ports/storage-adapter.js';
import { DATABASE_URL } from '../postgres-server.js';

export type StorageKind = 'sqlite' | 'redis' | 'postgres';

/** Opens the storage a child process shares with its parent: a SQLite file, a Redis key prefix or a PostgreSQL schema. */
export async function openStorage(kind: StorageKind, target: string): Promise<StorageAdapter> {
  if (kind === 'sqlite') return createSqliteStorage({ path: target });
  if (kind === 'postgres') return createPostgresStorage({ connectionString: DATABASE_URL, schema: target });
  return createRedisStorage({ options: { host: '127.0.0.1', port: 6379, ...redisFromEnv() } }, { prefix: target });
}

function redisFromEnv(): { host?: string; port?: number } {
  if (!process.env.REDIS_URL) return {};
  const url = new URL(process.env.REDIS_URL);
  return { host: url.hostname, port: Number(url.port || 6379) };
}
