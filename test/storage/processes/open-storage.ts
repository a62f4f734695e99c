import { createRedisStorage } from '../../../src/adapters/storage/redis/index.js';
import { createSqliteStorage } from '../../../src/adapters/storage/sqlite/index.js';
import type { StorageAdapter } from '../../../src/core/ports/storage-adapter.js';

export type StorageKind = 'sqlite' | 'redis';

/** Opens the storage a child process shares with its parent: a SQLite file, or a Redis key prefix. */
export function openStorage(kind: StorageKind, target: string): StorageAdapter {
  if (kind === 'sqlite') return createSqliteStorage({ path: target });
  return createRedisStorage({ options: { host: '127.0.0.1', port: 6379, ...redisFromEnv() } }, { prefix: target });
}

function redisFromEnv(): { host?: string; port?: number } {
  if (!process.env.REDIS_URL) return {};
  const url = new URL(process.env.REDIS_URL);
  return { host: url.hostname, port: Number(url.port || 6379) };
}
