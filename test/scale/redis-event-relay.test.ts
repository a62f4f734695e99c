import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import {
  RELAY_BATCH_VERSION,
  RELAY_MESSAGE_VERSION,
  createRedisEventRelay,
  decodeRelayMessage,
  encodeRelayMessage,
} from '../../src/adapters/events/redis/index.js';
import type { RelayedEvent } from '../../src/core/ports/event-relay.js';
import { redisAvailable, uniquePrefix } from '../storage/redis-server.js';
import { redisOptions } from './redis-setup.js';

const redisUp = await redisAvailable();
const progress = (index: number, value: number): RelayedEvent => ({ type: 'task:progress', payload: { index, progress: value } });

describe('relay messages', () => {
  it('a lone event is a version 1 message, as every process reads it; several are one version 2 message, in order', () => {
    const one = JSON.parse(encodeRelayMessage('me', [progress(0, 10)], () => {})!);
    expect(one).toEqual({ v: RELAY_MESSAGE_VERSION, o: 'me', t: 'task:progress', p: { index: 0, progress: 10 } });
    const events = [progress(0, 10), progress(1, 10), progress(0, 30)];
    const text = encodeRelayMessage('me', events, () => {})!;
    expect(JSON.parse(text)).toMatchObject({ v: RELAY_BATCH_VERSION, o: 'me' });
    expect(decodeRelayMessage(text, 'other', () => {})).toEqual(events);
  });

  it('skips its own messages, text that is not JSON, and unknown versions (reported)', () => {
    const unknown: unknown[] = [];
    expect(decodeRelayMessage(encodeRelayMessage('me', [progress(0, 1), progress(0, 2)], () => {})!, 'me', () => {})).toEqual([]);
    expect(decodeRelayMessage('not json', 'me', () => {})).toEqual([]);
    expect(decodeRelayMessage('{"v":9,"o":"x"}', 'me', (v) => unknown.push(v))).toEqual([]);
    expect(unknown).toEqual([9]);
  });

  it('an event JSON cannot hold is left out and reported; the others still go', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const bad: string[] = [];
    const text = encodeRelayMessage('me', [progress(0, 1), { type: 'task:progress', payload: cyclic }, progress(0, 2)], (e) =>
      bad.push(e.type),
    );
    expect(decodeRelayMessage(text!, 'other', () => {})).toEqual([progress(0, 1), progress(0, 2)]);
    expect(bad).toEqual(['task:progress']);
    expect(encodeRelayMessage('me', [{ type: 'x', payload: cyclic }], () => {})).toBeNull();
  });
});

describe.runIf(redisUp)('Redis event relay', () => {
  const clients: Redis[] = [];
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    for (const c of clients.splice(0)) c.disconnect();
  });

  async function pair() {
    const channel = `${uniquePrefix('relay')}events`;
    const a = createRedisEventRelay({ connection: redisOptions(), channel });
    const b = createRedisEventRelay({ connection: redisOptions(), channel });
    closers.push(
      () => a.close(),
      () => b.close(),
    );
    const heard: RelayedEvent[] = [];
    await b.subscribe((e) => heard.push(e));
    const raw = new Redis(redisOptions());
    clients.push(raw);
    const messages: string[] = [];
    await raw.subscribe(channel);
    raw.on('message', (_c: string, text: string) => messages.push(text));
    return { a, heard, messages, channel, raw };
  }

  const until = async (check: () => boolean) => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  };

  it('the events of one turn go out as one message and arrive once each, in order', async () => {
    const { a, heard, messages } = await pair();
    const events = Array.from({ length: 120 }, (_, i) => progress(i % 10, i));
    for (const e of events) a.publish(e);
    await until(() => heard.length >= events.length);
    expect(heard).toEqual(events);
    expect(messages).toHaveLength(1);
    a.publish(progress(3, 100));
    await until(() => heard.length > events.length);
    expect(heard.at(-1)).toEqual(progress(3, 100));
    expect(JSON.parse(messages.at(-1)!).v).toBe(RELAY_MESSAGE_VERSION);
  });

  it('close sends what was published before it', async () => {
    const { a, heard } = await pair();
    a.publish(progress(0, 10));
    a.publish(progress(0, 30));
    await a.close();
    await until(() => heard.length >= 2);
    expect(heard).toEqual([progress(0, 10), progress(0, 30)]);
  });

  it('hears version 1 messages of a process that does not batch', async () => {
    const { heard, channel } = await pair();
    const old = new Redis(redisOptions());
    clients.push(old);
    await old.publish(channel, JSON.stringify({ v: 1, o: 'old-process', t: 'task:progress', p: { index: 4, progress: 30 } }));
    await until(() => heard.length >= 1);
    expect(heard).toEqual([progress(4, 30)]);
  });
});
