import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, parseEventStream } from '../../src/client/index.js';
import { readServerConfig } from '../../examples/server/config.js';
import { redisOptionsFromUrl } from '../../examples/server/cluster.js';
import { startChild, type Child } from '../storage/children.js';
import { deleteKeys, REDIS_URL, redisAvailable, uniquePrefix } from '../storage/redis-server.js';

const SERVER = '../../examples/server/main.ts';
// Children inherit the environment: keep provider keys and a role of the caller's shell out of it.
const clean = { IMAGEGEN_PROVIDER: 'offline', IMAGEGEN_ROLE: '', REDIS_URL: '', PORT: '0', IMAGEGEN_HEALTH_PORT: '' };

describe('reference server configuration (IMAGEGEN_ROLE)', () => {
  it('without IMAGEGEN_ROLE it is one process on SQLite and needs no Redis', () => {
    expect(readServerConfig({})).toEqual({
      dataDir: './data',
      port: 3000,
      healthPort: null,
      graceMs: 2000,
      storage: { kind: 'sqlite' },
      images: { kind: 'fs' },
      cluster: null,
      auth: { sessionDays: 30, trustedProxyHops: 0, limits: { signupsPerHour: 10 } },
    });
    expect(readServerConfig({ IMAGEGEN_ROLE: '  ', REDIS_URL: 'redis://x' }).cluster).toBeNull();
  });

  it('a role needs REDIS_URL, and the error names it', () => {
    for (const role of ['api', 'worker', 'both']) {
      expect(() => readServerConfig({ IMAGEGEN_ROLE: role })).toThrow(/IMAGEGEN_ROLE=\w+ needs REDIS_URL/);
    }
    expect(() => readServerConfig({ IMAGEGEN_ROLE: 'cook', REDIS_URL: 'redis://x' })).toThrow(
      /IMAGEGEN_ROLE must be one of api, worker, both/,
    );
    expect(
      readServerConfig({ IMAGEGEN_ROLE: 'Worker', REDIS_URL: 'redis://h:1', IMAGEGEN_DATA_DIR: '/shared', IMAGEGEN_HEALTH_PORT: '9000' }),
    ).toEqual({
      dataDir: '/shared',
      port: 3000,
      healthPort: 9000,
      graceMs: 20_000,
      storage: { kind: 'redis', redisUrl: 'redis://h:1', prefix: 'imagegen:' },
      images: { kind: 'fs' },
      cluster: { role: 'worker', redisUrl: 'redis://h:1', prefix: 'imagegen:' },
      auth: { sessionDays: 30, trustedProxyHops: 0, limits: { signupsPerHour: 10 } },
    });
    expect(readServerConfig({ IMAGEGEN_ROLE: 'api', REDIS_URL: 'redis://h', IMAGEGEN_REDIS_PREFIX: 'shop:' }).cluster?.prefix).toBe(
      'shop:',
    );
    expect(() => readServerConfig({ IMAGEGEN_ROLE: 'api', REDIS_URL: 'redis://h', IMAGEGEN_REDIS_PREFIX: 'a{b}:' })).toThrow(
      /IMAGEGEN_REDIS_PREFIX/,
    );
    expect(() => readServerConfig({ PORT: 'eighty' })).toThrow(/PORT must be a port number/);
  });

  it('reads REDIS_URL into connection options without echoing a password', () => {
    expect(redisOptionsFromUrl('rediss://me:s%40cret@cache.internal:6380/2')).toEqual({
      host: 'cache.internal',
      port: 6380,
      db: 2,
      username: 'me',
      password: 's@cret',
      tls: {},
    });
    expect(redisOptionsFromUrl('redis://[::1]')).toEqual({ host: '::1', port: 6379, db: 0 });
    expect(() => redisOptionsFromUrl('http://me:hunter2@h')).toThrow(/redis:\/\/ or rediss:\/\//);
    expect(() => redisOptionsFromUrl('me:hunter2@@')).not.toThrow(/hunter2/);
  });

  it('a process started with a role and no REDIS_URL exits 1 with the reason', async () => {
    const child = startChild(SERVER, [], { ...clean, IMAGEGEN_ROLE: 'api' });
    expect(await child.exited).toBe(1);
    expect(child.stderr()).toContain('IMAGEGEN_ROLE=api needs REDIS_URL');
  });
});

const redisUp = await redisAvailable();
const prefix = uniquePrefix('server-roles');
const dataDir = mkdtempSync(join(tmpdir(), 'igk-roles-'));

afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  if (!redisUp) return;
  const redis = new Redis(REDIS_URL);
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

describe.runIf(redisUp)('reference server as an api process and a worker process (real processes, real Redis)', () => {
  it.each(['bullmq', 'redis'])(
    'on the %s dispatcher: the api enqueues, the worker runs, SSE on the api shows every task reach 100, images load from the api, SIGTERM exits both cleanly',
    async (dispatcher) => {
      const env = {
        ...clean,
        REDIS_URL,
        IMAGEGEN_REDIS_PREFIX: `${prefix}${dispatcher}:`,
        IMAGEGEN_DATA_DIR: dataDir,
        IMAGEGEN_DISPATCHER: dispatcher,
      };
      const children: Child[] = [];
      try {
        const worker = startChild(SERVER, [], { ...env, IMAGEGEN_ROLE: 'worker', IMAGEGEN_HEALTH_PORT: '0' });
        const api = startChild(SERVER, [], { ...env, IMAGEGEN_ROLE: 'api' });
        children.push(worker, api);
        const [healthLine, apiLine] = await Promise.all([
          worker.waitFor((l) => l.startsWith('health: ')),
          api.waitFor((l) => l.includes('reference server')),
        ]);
        await worker.waitFor((l) => l.includes('ready'));
        expect(apiLine).toContain('role: api');
        const base = /http:\/\/localhost:\d+/.exec(apiLine)![0];
        const health = await fetch(healthLine.slice('health: '.length));
        expect(health.status).toBe(200);
        expect(await health.json()).toEqual({ status: 'ok', role: 'worker' });

        const signIn = await fetch(`${base}/auth/sign-in`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'rolf', password: 'two processes' }),
        });
        expect(signIn.status).toBe(200);
        const { token } = (await signIn.json()) as { token: string };
        const client = createClient({ baseUrl: `${base}/api`, token });
        const { batch_id: batchId } = await client.submitBatch({ prompts: ['a lighthouse', 'a fox', 'a paper boat'] });

        // The stream on the api process: progress of tasks the worker runs arrives through the relay.
        const stream = await fetch(`${base}/api/batch/events?batch_id=${encodeURIComponent(batchId)}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
        const progress = new Map<number, number[]>();
        let completed: { tasks: Array<{ status: string; result?: { imageUrl: string } }> } | null = null;
        for await (const event of parseEventStream(stream.body!)) {
          if (event.event === 'progress') {
            const data = JSON.parse(event.data) as { index: number; progress: number };
            progress.set(data.index, [...(progress.get(data.index) ?? []), data.progress]);
          }
          if (event.event === 'completed') completed = JSON.parse(event.data) as typeof completed;
        }
        expect([...progress.keys()].sort()).toEqual([0, 1, 2]);
        for (const values of progress.values()) {
          expect(values.at(-1)).toBe(100);
          expect(values).toEqual([...values].sort((a, b) => a - b)); // never goes down
        }
        expect(completed!.tasks.map((t) => t.status)).toEqual(['completed', 'completed', 'completed']);

        // The worker ran them all (the api runs none), and wrote the images where the api reads them.
        for (const line of await Promise.all(
          [0, 1, 2].map((i) => worker.waitFor((l) => l === `completed ${batchId}:${i}`, 2_000).catch(() => `missing #${i}`)),
        )) {
          expect(line).toMatch(/^completed /);
        }
        for (const task of completed!.tasks) {
          // Signed URLs: no bearer header, as an <img src> loads them.
          const image = await fetch(`${base}${task.result!.imageUrl}`);
          expect(image.status).toBe(200);
          expect(image.headers.get('content-type')).toBe('image/png');
          expect(
            Buffer.from(await image.arrayBuffer())
              .subarray(1, 4)
              .toString(),
          ).toBe('PNG');
          expect(
            (await fetch(`${base}${task.result!.imageUrl.split('?')[0]}`, { headers: { authorization: `Bearer ${token}` } })).status,
          ).toBe(404);
        }
        expect((await client.credits()).balance).toBe(17);
        // The jobs went through the queue the variable named.
        const redis = new Redis(redisOptionsFromUrl(REDIS_URL));
        const queueKeys = await redis.keys(`${prefix}${dispatcher}:${dispatcher === 'redis' ? 'queue:{' : 'bull:'}*`);
        redis.disconnect();
        expect(queueKeys.length).toBeGreaterThan(0);

        worker.process.kill('SIGTERM');
        api.process.kill('SIGTERM');
        expect(await Promise.all([worker.exited, api.exited])).toEqual([0, 0]);
        expect(worker.stderr() + api.stderr()).not.toMatch(/error/i);
      } finally {
        for (const c of children) if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL');
      }
    },
    30_000,
  );
});
