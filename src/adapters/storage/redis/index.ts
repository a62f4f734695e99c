import { consoleLogger } from '../../../core/util/console-logger.js';
import { type Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../../../core/options.js';
import type { StorageAdapter } from '../../../core/ports/storage-adapter.js';
import { redisAdminQueries } from './admin-queries.js';
import { redisBatches } from './batches.js';
import { redisCancelTasks } from './cancel-tasks.js';
import { warnUnlessDurable } from './durability.js';
import { createContext } from './context.js';
import { writeCoalescer } from './coalesce-writes.js';
import { redisIdempotency } from './idempotency.js';
import { Keys } from './keys.js';
import { redisLedger } from './ledger.js';
import { redisPendingGenerations } from './pending-generations.js';
import { redisRecords } from './records.js';
import { SCRIPTS } from './scripts/index.js';
import { redisTasks } from './tasks.js';

export { SCRIPT_VERSION } from './scripts/index.js';
export { readRedisDurability, type RedisDurability } from './durability.js';

const defaultLogger = consoleLogger();

/**
 * A client you own (closed by you), or options for one the adapter creates (and closes). A client
 * it creates sends the adapter's commands of one turn of the event loop (the steps of many tasks
 * running at once) in socket writes of up to 8, without ever waiting for earlier replies to send more;
 * options with `enableAutoPipelining: true` choose ioredis's auto-pipelining instead.
 */
export type RedisConnection = { client: Redis | Cluster; options?: never } | { options: RedisOptions; client?: never };

export interface RedisStorageOptions {
  /** Prepended to every key; must not contain `{` or `}`. @default 'igk:' */
  prefix?: string;
  /**
   * Told once, when the adapter first connects, if the server's persistence (`appendonly`,
   * `appendfsync`) would lose acknowledged credits on a restart. Pass `null` to skip the check.
   * @default console
   */
  logger?: Logger | null;
}

/**
 * Storage in Redis (ioredis). Every step that reads and writes, or writes more than one key, is
 * one Lua script that checks before it writes (see `scripts/`), so several processes may share
 * one Redis. A user's keys share the hash tag `{username}`, so the scripts also run on Redis
 * Cluster. Scripts are registered with `defineCommand` under versioned names; ioredis reloads them
 * by itself after `SCRIPT FLUSH` or a restart (NOSCRIPT falls back to EVAL).
 *
 * @example
 * const storage = createRedisStorage({ options: { host: '127.0.0.1', port: 6379 } }, { prefix: 'myapp:' });
 */
export function createRedisStorage(connection: RedisConnection, options: RedisStorageOptions = {}): StorageAdapter {
  const owned = !connection.client;
  const client: Redis | Cluster = connection.client ?? new Redis({ enableAutoPipelining: false, ...connection.options });
  for (const s of Object.values(SCRIPTS)) client.defineCommand(s.name, { numberOfKeys: s.numberOfKeys, lua: s.lua });
  const coalesce = owned && !client.options.enableAutoPipelining ? writeCoalescer(client as Redis) : undefined;
  const cx = createContext(client, new Keys(options.prefix ?? 'igk:'), coalesce);
  let closing: Promise<void> | null = null;
  const logger = options.logger === undefined ? defaultLogger : options.logger;
  // A connection the adapter made has nobody else to hear its errors (ioredis reconnects on its
  // own; commands meanwhile reject): they go to the logger, not to ioredis's "unhandled error event".
  if (owned) client.on('error', (error: Error) => logger?.warn('redis storage: connection error', { error: error.message }));
  if (logger) {
    const check = () => void warnUnlessDurable(client, logger);
    if (client.status === 'ready') check();
    else client.once('ready', check);
  }
  return {
    name: 'redis',
    ...redisLedger(cx),
    ...redisBatches(cx),
    ...redisTasks(cx),
    ...redisCancelTasks(cx),
    ...redisRecords(cx),
    ...redisIdempotency(cx),
    ...redisPendingGenerations(cx),
    ...redisAdminQueries(cx),
    /** Closes the connection the adapter made (a client you passed stays open); a second call waits for the first. */
    async close() {
      if (!owned) return;
      closing ??= client.quit().then(() => undefined);
      await closing;
    },
  };
}
