import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createRequestHandler } from '../../src/adapters/http/index.js';
import { createBflProvider } from '../../src/adapters/providers/bfl/index.js';
import { createOtelTelemetry } from '../../src/adapters/telemetry/otel/index.js';
import { clusterEngine, clusterNames } from '../scale/redis-setup.js';
import { startChild } from '../storage/children.js';
import { deleteKeys, REDIS_URL, redisAvailable, uniquePrefix } from '../storage/redis-server.js';
import { startFakeBfl } from '../support/fake-bfl-server.js';
import { inMemoryTracing, type SpanRecord } from './otel-setup.js';

const redisUp = await redisAvailable();
const prefix = uniquePrefix('otel-trace');
const SPAN_KIND = { SERVER: 1, PRODUCER: 3, CONSUMER: 4, CLIENT: 2 };

afterAll(async () => {
  if (!redisUp) return;
  const redis = new Redis(REDIS_URL);
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

describe.runIf(redisUp)('OpenTelemetry across an api process and a worker process (BullMQ on Redis)', () => {
  it('one trace holds the HTTP request, the batch submit and every task run in the worker, with its provider calls', async () => {
    const bfl = await startFakeBfl({ latencyMs: 40 });
    const worker = startChild('../observability/processes/traced-worker.ts', [prefix, bfl.url]);
    const tracing = inMemoryTracing('api');
    const api = clusterEngine(clusterNames(prefix), {
      role: 'api',
      engine: {
        eventRelay: undefined,
        provider: createBflProvider({ apiKeys: ['worker-key-one', 'worker-key-two'], region: bfl.url }),
        telemetry: createOtelTelemetry({ tracer: tracing.tracer }),
      },
    });
    const handler = createRequestHandler({ engine: api, authenticate: () => ({ username: 'tess' }), serveImages: false });
    try {
      await worker.waitFor((line) => line === 'ready');
      await api.start();
      await api.credits.grant('tess', 3, { idempotencyKey: 'g' });
      const response = await handler(
        new Request('http://api.test/api/batch/generate', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ prompts: ['a red fox', 'a blue whale', 'a green owl'] }),
        }),
      );
      expect(response.status).toBe(200);
      const { batch_id: batchId } = (await response.json()) as { batch_id: string };

      const taskSpans: SpanRecord[] = [];
      const workerSpans: SpanRecord[] = [];
      await worker.waitFor((line) => {
        if (!line.startsWith('span ')) return false;
        const span = JSON.parse(line.slice(5)) as SpanRecord;
        workerSpans.push(span);
        if (span.name === 'imagegen.task.run' && span.attributes['imagegen.outcome'] === 'completed') taskSpans.push(span);
        return taskSpans.length === 3;
      }, 20_000);

      const apiSpans = tracing.spans();
      const http = apiSpans.find((s) => s.name === 'HTTP POST')!;
      const submit = apiSpans.find((s) => s.name === 'imagegen.batch.submit')!;
      expect(http).toMatchObject({ kind: SPAN_KIND.SERVER, parentSpanId: undefined, attributes: { 'http.response.status_code': 200 } });
      expect(submit).toMatchObject({
        kind: SPAN_KIND.PRODUCER,
        traceId: http.traceId,
        parentSpanId: http.spanId,
        attributes: { 'imagegen.batch.id': batchId, 'imagegen.batch.tasks': 3, 'enduser.id': 'tess' },
      });

      // The worker's task spans are children of the submit span: one trace, across the queue.
      expect(taskSpans.map((s) => s.attributes['imagegen.task.index']).sort()).toEqual([0, 1, 2]);
      for (const span of taskSpans) {
        expect(span).toMatchObject({
          kind: SPAN_KIND.CONSUMER,
          traceId: submit.traceId,
          parentSpanId: submit.spanId,
          attributes: {
            'imagegen.batch.id': batchId,
            'imagegen.provider': 'bfl',
            'imagegen.model': 'flux-kontext-pro',
            'imagegen.task.attempt': 1,
            'imagegen.outcome': 'completed',
          },
        });
        expect(span.attributes['imagegen.provider.key']).toMatch(/^bfl#[12]$/);
        // Under each task: its provider submit (with the key's label), polls, the download and the image write.
        const children = workerSpans.filter((s) => s.parentSpanId === span.spanId);
        const names = new Set(children.map((s) => s.name));
        for (const name of ['imagegen.provider.submit', 'imagegen.provider.poll', 'imagegen.provider.download', 'imagegen.image.store'])
          expect(names, name).toContain(name);
        const providerSubmit = children.find((s) => s.name === 'imagegen.provider.submit')!;
        expect(providerSubmit).toMatchObject({
          kind: SPAN_KIND.CLIENT,
          traceId: submit.traceId,
          attributes: { 'imagegen.provider.key': span.attributes['imagegen.provider.key'], 'imagegen.outcome': 'ok' },
        });
      }
      // Labels only: no key appears in any span.
      expect(JSON.stringify([...apiSpans, ...workerSpans])).not.toMatch(/worker-key-(one|two)/);
    } finally {
      worker.process.kill('SIGTERM');
      await worker.exited;
      await api.stop({ graceMs: 0 });
      api.redis.disconnect();
      await bfl.close();
    }
  }, 40_000);
});
