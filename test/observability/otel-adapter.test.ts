import { trace } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestHandler } from '../../src/adapters/http/index.js';
import { createMemoryImageStore } from '../../src/adapters/image-stores/memory/index.js';
import { createBflProvider } from '../../src/adapters/providers/bfl/index.js';
import { createMemoryStorage } from '../../src/adapters/storage/memory/index.js';
import { createOtelTelemetry } from '../../src/adapters/telemetry/otel/index.js';
import { createEngine } from '../../src/core/engine.js';
import { startHostileBfl } from '../support/hostile-bfl-server.js';
import { inMemoryTracing } from './otel-setup.js';
import { parseExposition, total } from './prometheus-text.js';

const BAD = 'otel-test-rejected-key-000000';
let bfl: Awaited<ReturnType<typeof startHostileBfl>>;
beforeAll(async () => {
  bfl = await startHostileBfl({ rejectKey: BAD });
});
afterAll(async () => {
  await bfl.close();
  trace.disable();
});

function tracedEngine() {
  const tracing = inMemoryTracing('adapter-test');
  const reader = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const engine = createEngine({
    storage: createMemoryStorage(),
    provider: createBflProvider({ apiKeys: [BAD, 'otel-test-good-key-111111'], region: bfl.url, retryMinTimeoutMs: 5 }),
    imageStore: createMemoryImageStore(),
    pollPolicy: { pollIntervalMs: 5 },
    logger: { warn() {}, error() {} },
    telemetry: createOtelTelemetry({ tracer: tracing.tracer, meter: meterProvider.getMeter('t') }),
  });
  const scrape = async () => parseExposition(new PrometheusSerializer().serialize((await reader.collect()).resourceMetrics));
  return { engine, tracing, scrape };
}

describe('createOtelTelemetry', () => {
  it("continues a caller's W3C traceparent and ignores a malformed one", async () => {
    const { engine, tracing } = tracedEngine();
    const handler = createRequestHandler({ engine, authenticate: () => ({ username: 'olga' }), serveImages: false });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    await handler(new Request('http://x/api/credits', { headers: { traceparent: `00-${traceId}-${parentId}-01` } }));
    await handler(new Request('http://x/api/credits', { headers: { traceparent: '00-not-a-trace-01' } }));
    const [continued, fresh] = tracing.spans().filter((s) => s.name === 'HTTP GET');
    expect(continued).toMatchObject({
      traceId,
      parentSpanId: parentId,
      attributes: { 'url.path': '/api/credits', 'http.response.status_code': 200 },
    });
    expect(fresh!.traceId).not.toBe(traceId);
    expect(fresh!.parentSpanId).toBeUndefined();
  });

  it('shows the key pool per label: a key rejected with 401 is out of rotation, the other in flight while a task holds it', async () => {
    const { engine, scrape, tracing } = tracedEngine();
    await engine.start();
    try {
      await engine.credits.grant('olga', 2, { idempotencyKey: 'g' });
      const { batch } = await engine.batches.submit('olga', { prompts: ['a fox', 'explode please'] });
      await engine.batches.waitFor('olga', batch.batchId, { signal: AbortSignal.timeout(20_000) });
      await engine.onIdle();
      const samples = await scrape();
      expect(total(samples, 'imagegen_provider_key_out_of_rotation', { key: 'bfl#1' })).toBe(1);
      expect(total(samples, 'imagegen_provider_key_out_of_rotation', { key: 'bfl#2' })).toBe(0);
      expect(total(samples, 'imagegen_provider_key_in_flight')).toBe(0);
      expect(total(samples, 'imagegen_tasks_ended_total', { imagegen_outcome: 'failed' })).toBe(1);
      expect(total(samples, 'imagegen_provider_duration_count', { imagegen_provider_operation: 'submit', imagegen_outcome: 'error' })).toBe(
        1,
      );
      // The provider call that failed is an error span with the error's code, not its message (the
      // hostile provider's 500 quotes the key); no key in any span.
      const failedSubmit = tracing.spans().find((x) => x.name === 'imagegen.provider.submit' && x.status.code === 2);
      expect(failedSubmit).toMatchObject({ status: { message: 'provider_error' }, attributes: { 'error.type': 'provider_error' } });
      expect(JSON.stringify(tracing.spans())).not.toContain('otel-test-');
    } finally {
      await engine.stop({ graceMs: 0 });
    }
  }, 30_000);
});
