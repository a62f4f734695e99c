import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStorage } from '../../src/adapters/storage/redis/index.js';
import type { StorageAdapter } from '../../src/core/ports/storage-adapter.js';
import { charge, claimPending, grant, makeBatch, tick } from '../../src/adapter-kit/index.js';
import { deleteKeys, REDIS_URL, redisAvailable, uniquePrefix } from './redis-server.js';
import { PROGRESS } from '../../src/core/policy/progress.js';

const available = await redisAvailable();

/** Redis Cluster's slot of a key: CRC16 (XMODEM) of its hash tag, mod 16384. */
function slotOf(key: string): number {
  const open = key.indexOf('{');
  const close = open >= 0 ? key.indexOf('}', open + 1) : -1;
  const tagged = open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(tagged)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

describe.runIf(available)('Redis storage keys and scripts', () => {
  let client: Redis;
  let storage: StorageAdapter;
  const prefix = uniquePrefix('keys');

  beforeAll(() => {
    client = new Redis(REDIS_URL);
    storage = createRedisStorage({ client }, { prefix });
  });
  afterAll(async () => {
    await deleteKeys(client, prefix);
    client.disconnect();
  });

  async function keysUnder(p: string): Promise<string[]> {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${p}*`, 'COUNT', 1000);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
    return found;
  }

  it('keeps every key of a user in one cluster slot, under the prefix', async () => {
    const ts = tick();
    await storage.applyLedgerEntry(grant('dora', 5, 'g'), ts);
    await storage.createBatch(makeBatch('dora', ts), charge('dora', 3, 'buy'), ts);
    const task = await claimPending(storage, `batch:dora:${ts}`, 0);
    await storage.failTask(`batch:dora:${ts}`, 0, task.attempts, 'x', tick());
    await storage.retryTask(`batch:dora:${ts}`, 0, { charge: charge('dora', 1, 'again'), progress: PROGRESS.queued }, tick());
    await storage.createRecord({
      recordId: `record:dora:${ts}`,
      username: 'dora',
      type: 'text_to_image',
      prompt: 'p',
      imageUrl: '/i.png',
      requestId: 'r',
      createdAt: ts,
      aspectRatio: '1:1',
      seed: null,
      imagePromptStrength: null,
    });
    const userKeys = (await keysUnder(prefix)).filter((k) => k.includes('{dora}'));
    expect(userKeys.length).toBeGreaterThanOrEqual(7);
    expect(new Set(userKeys.map(slotOf)).size).toBe(1);
    expect(slotOf(`${prefix}{dora}:bal`)).toBe(slotOf('dora'));
  });

  it('runs its scripts again after SCRIPT FLUSH (NOSCRIPT is handled)', async () => {
    await storage.applyLedgerEntry(grant('erin', 2, 'g1'), tick());
    await client.script('FLUSH');
    const after = await storage.applyLedgerEntry(grant('erin', 3, 'g2'), tick());
    expect(after).toMatchObject({ balance: 5, replayed: false });
    expect(await storage.beginIdempotent('erin:k', 'fp', tick())).toEqual({ state: 'new' });
  });

  it('lets Redis drop a completed idempotency key after its retention, and an abandoned pending key well after it went stale', async () => {
    const keyOf = async (name: string) => (await keysUnder(prefix)).find((k) => k.endsWith(name))!;
    await storage.beginIdempotent('gil:done', 'fp', tick(), { staleAfterMs: 1000 });
    await storage.completeIdempotent('gil:done', 'r', tick(), { retainMs: 5000 });
    const doneTtl = await client.pttl(await keyOf('gil:done'));
    expect(doneTtl).toBeGreaterThan(4000);
    expect(doneTtl).toBeLessThanOrEqual(5000);

    await storage.beginIdempotent('gil:pending', 'fp', tick(), { staleAfterMs: 4 * 60 * 60 * 1000 });
    const pendingTtl = await client.pttl(await keyOf('gil:pending'));
    expect(pendingTtl).toBeGreaterThan(8 * 60 * 60 * 1000 - 5000);
    expect(pendingTtl).toBeLessThanOrEqual(8 * 60 * 60 * 1000);

    // A real (short) TTL: once Redis has dropped the key, it is new again.
    await storage.completeIdempotent('gil:pending', 'r', tick(), { retainMs: 50 });
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await client.exists(await keyOf('gil:done'))).toBe(1);
    expect((await keysUnder(prefix)).some((k) => k.endsWith('gil:pending'))).toBe(false);
  });

  it('deletes every key of a test run and leaves other prefixes alone', async () => {
    const own = uniquePrefix('cleanup');
    const other = uniquePrefix('other');
    const a = createRedisStorage({ client }, { prefix: own });
    const b = createRedisStorage({ client }, { prefix: other });
    await a.applyLedgerEntry(grant('fay', 1, 'g'), tick());
    await b.applyLedgerEntry(grant('fay', 1, 'g'), tick());
    expect((await keysUnder(own)).length).toBeGreaterThan(0);
    await deleteKeys(client, own);
    expect(await keysUnder(own)).toEqual([]);
    expect(await b.getBalance('fay')).toBe(1);
    await deleteKeys(client, other);
  });

  it('refuses a prefix with a brace, which would break the per-user hash tag', () => {
    expect(() => createRedisStorage({ client }, { prefix: 'a{b}:' })).toThrow(/prefix/);
  });

  it('tells its logger, not the console, when a connection it made fails', async () => {
    const warnings: Array<[string, unknown]> = [];
    const own = createRedisStorage(
      { options: { host: '127.0.0.1', port: 1, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 } },
      { prefix: uniquePrefix('refused'), logger: { warn: (message, fields) => warnings.push([message, fields]), error() {} } },
    );
    await expect(own.getBalance('nobody')).rejects.toThrow();
    expect(warnings).toContainEqual(['redis storage: connection error', { error: expect.stringContaining('ECONNREFUSED') }]);
    await own.close().catch(() => {});
  });

  it('creates and closes its own connection from options', async () => {
    const own = createRedisStorage(
      { options: { host: new URL(REDIS_URL).hostname, port: Number(new URL(REDIS_URL).port || 6379) } },
      { prefix },
    );
    expect(await own.getBalance('nobody')).toBe(0);
    await own.close();
    // A second close (a host that closes its backend and then the storage) is harmless.
    await own.close();
  });
});
