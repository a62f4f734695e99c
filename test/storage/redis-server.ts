import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Whether a Redis server answers. In CI (`process.env.CI`) a missing server is an error, not a
 * skip; elsewhere the Redis tests skip with a visible notice.
 */
export async function redisAvailable(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch (error) {
    if (process.env.CI) throw new Error(`Redis is required in CI but ${REDIS_URL} does not answer: ${String(error)}`);
    console.warn(
      `\n[imagegen-kit tests] SKIPPING Redis tests: no Redis answers on ${REDIS_URL}. Start one (or run .ci/run) to run them.\n`,
    );
    return false;
  } finally {
    probe.disconnect();
  }
}

/** A key prefix no other test run uses. */
export const uniquePrefix = (label: string): string => `igk-test:${label}:${process.pid}:${Date.now().toString(36)}:`;

/** Deletes every key under `prefix` (SCAN, never KEYS). */
export async function deleteKeys(client: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, found] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (found.length) deleted += await client.unlink(...found);
  } while (cursor !== '0');
  return deleted;
}
