import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createServerApp } from '../../examples/server/app.js';
import { createJsonLogger } from '../../examples/server/json-logger.js';
import { createBullMQDispatcher } from '../../src/adapters/dispatch/bullmq/index.js';
import { createHealthHandler } from '../../src/adapters/http/index.js';
import { createMemoryImageStore } from '../../src/adapters/image-stores/memory/index.js';
import { createOfflineProvider } from '../../src/adapters/providers/offline/index.js';
import { createMemoryStorage } from '../../src/adapters/storage/memory/index.js';
import { createEngine } from '../../src/core/engine.js';
import { startChild } from '../storage/children.js';
import { parseExposition } from './prometheus-text.js';
import { deleteKeys, REDIS_URL, redisAvailable, uniquePrefix } from '../storage/redis-server.js';

const quiet = { warn() {}, error() {} };
const dir = mkdtempSync(join(tmpdir(), 'igk-health-'));
const redisUp = await redisAvailable();
const prefix = uniquePrefix('health');

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (!redisUp) return;
  const redis = new Redis(REDIS_URL);
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

const get = async (app: { request(path: string): Response | Promise<Response> }, path: string) => {
  const response = await app.request(path);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('GET /health and GET /ready', () => {
  it('the reference server answers both; /ready turns 503 (stopping) the moment the engine stops, while /health stays 200', async () => {
    const server = await createServerApp({
      dataDir: join(dir, 'app'),
      provider: createOfflineProvider({ size: 16, latencyMs: 1500 }),
      logger: createJsonLogger({ write: () => {} }),
    });
    let stopped: Promise<void> | null = null;
    try {
      expect(await get(server.app, '/health')).toEqual({ status: 200, body: { status: 'ok', role: 'both' } });
      const ready = await get(server.app, '/ready');
      expect(ready).toMatchObject({
        status: 200,
        body: { status: 'ready', checks: { storage: { ok: true }, queue: { ok: true }, images: { ok: true } } },
      });
      // A task runs; the engine starts stopping with time to finish it.
      await server.engine.credits.grant('hal', 1, { idempotencyKey: 'g' });
      await server.engine.batches.submit('hal', { prompt: 'a slow fox', count: 1 });
      stopped = server.engine.stop({ graceMs: 5000 });
      expect(await get(server.app, '/ready')).toMatchObject({ status: 503, body: { status: 'stopping' } });
      expect((await get(server.app, '/health')).status).toBe(200);
    } finally {
      await stopped;
      await server.release();
    }
  });

  it('/ready is 503 naming the dependency that does not answer: storage failing, and a queue on a Redis nobody listens on', async () => {
    const storage = createMemoryStorage();
    const broken = new Proxy(storage, {
      get: (target, name, receiver) =>
        name === 'getBatch' ? () => Promise.reject(new Error('database is down')) : Reflect.get(target, name, receiver),
    });
    const engine = createEngine({
      storage: broken,
      provider: createOfflineProvider(),
      imageStore: createMemoryImageStore(),
      logger: quiet,
    });
    const health = createHealthHandler({ engine });
    const answer = (await health(new Request('http://x/ready')))!;
    expect(answer.status).toBe(503);
    expect(await answer.json()).toMatchObject({
      status: 'not_ready',
      checks: { storage: { ok: false, error: 'database is down' }, queue: { ok: true }, images: { ok: true } },
    });
    expect(await health(new Request('http://x/other'))).toBeNull();

    const deadQueue = createBullMQDispatcher({
      connection: { host: '127.0.0.1', port: 1, maxRetriesPerRequest: null, retryStrategy: () => 1000, lazyConnect: true },
      prefix: `${prefix}dead`,
      logger: quiet,
    });
    const queued = createEngine({
      storage,
      provider: createOfflineProvider(),
      imageStore: createMemoryImageStore(),
      dispatcher: deadQueue,
      role: 'api',
      logger: quiet,
    });
    try {
      const report = await queued.readiness({ timeoutMs: 300 });
      expect(report).toMatchObject({ ready: false, stopping: false, checks: { storage: { ok: true }, queue: { ok: false } } });
      expect(report.checks.queue.ms).toBeLessThan(1500);
    } finally {
      await deadQueue.queue.disconnect().catch(() => {});
    }
  });

  it.runIf(redisUp)(
    'a worker process (IMAGEGEN_ROLE=worker) serves /health, /ready and /metrics on IMAGEGEN_HEALTH_PORT, its queue and storage on Redis',
    async () => {
      const worker = startChild('../../examples/server/main.ts', [], {
        IMAGEGEN_PROVIDER: 'offline',
        IMAGEGEN_ROLE: 'worker',
        REDIS_URL,
        IMAGEGEN_REDIS_PREFIX: prefix,
        IMAGEGEN_DATA_DIR: join(dir, 'worker'),
        IMAGEGEN_HEALTH_PORT: '0',
        PORT: '0',
      });
      try {
        const line = await worker.waitFor((l) => l.startsWith('health: '));
        await worker.waitFor((l) => l.includes(' ready '));
        const base = line.slice('health: '.length).replace(/\/health$/, '');
        const health = await fetch(`${base}/health`);
        expect(await health.json()).toEqual({ status: 'ok', role: 'worker' });
        const ready = await fetch(`${base}/ready`);
        expect(ready.status).toBe(200);
        expect(await ready.json()).toMatchObject({
          status: 'ready',
          role: 'worker',
          checks: { queue: { ok: true }, storage: { ok: true } },
        });
        // The same port serves the worker's metrics: the queue gauges answer before any task ran.
        const metrics = await fetch(`${base}/metrics`);
        expect(metrics.status).toBe(200);
        const samples = parseExposition(await metrics.text());
        expect(samples.find((s) => s.name === 'imagegen_tasks_waiting')).toMatchObject({ value: 0 });
        expect(samples.find((s) => s.name === 'imagegen_tasks_running')).toMatchObject({ value: 0 });
      } finally {
        worker.process.kill('SIGTERM');
        await worker.exited;
      }
    },
    30_000,
  );
});
