import type { Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_HELD, writeCoalescer } from '../../src/adapters/storage/redis/coalesce-writes.js';
import { REDIS_URL, redisAvailable } from './redis-server.js';

const available = await redisAvailable();

describe.runIf(available)('Redis write coalescing', () => {
  let client: Redis;
  let writes: number[];

  beforeAll(async () => {
    client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    await client.ping();
    // Count the socket writes and the commands (RESP arrays) in each.
    type Writev = (chunks: Array<{ chunk: Buffer | string }>, done: (error?: Error | null) => void) => void;
    const socket = (client as unknown as { stream: Socket & { _writev: Writev } }).stream;
    const writev = socket._writev.bind(socket);
    writes = [];
    socket._writev = (chunks, done) => {
      writes.push(chunks.filter(({ chunk }) => String(chunk).startsWith('*')).length);
      writev(chunks, done);
    };
  });
  afterAll(() => client.disconnect());

  it(`sends the commands of one turn in groups of ${MAX_HELD}, the rest at the end of the turn, replies in order`, async () => {
    const coalesce = writeCoalescer(client);
    const count = MAX_HELD * 2 + 3;
    const replies = Array.from({ length: count }, (_, i) => {
      coalesce();
      return client.echo(`m${i}`);
    });
    // Before the turn ends, only the full groups have left.
    expect(writes).toEqual([MAX_HELD, MAX_HELD]);
    expect(await Promise.all(replies)).toEqual(Array.from({ length: count }, (_, i) => `m${i}`));
    expect(writes).toEqual([MAX_HELD, MAX_HELD, 3]);
  });
});
