import { trace } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryImageStore } from '../../src/adapters/image-stores/memory/index.js';
import { createOfflineProvider } from '../../src/adapters/providers/offline/index.js';
import { createMemoryStorage } from '../../src/adapters/storage/memory/index.js';
import { createOtelTelemetry } from '../../src/adapters/telemetry/otel/index.js';
import { createEngine } from '../../src/core/engine.js';
import type { EngineOptions } from '../../src/core/options.js';
import { InProcessDispatcher } from '../../src/core/dispatch/in-process-dispatcher.js';
import { inMemoryTracing } from './otel-setup.js';

// A global tracer provider, as an app with the OTel SDK registered has: an engine without
// `telemetry` must still start no span through it.
const tracing = inMemoryTracing('global');
trace.setGlobalTracerProvider(tracing.provider);
afterAll(() => trace.disable());

async function runBatch(extra: Partial<EngineOptions>) {
  const dispatcher = new InProcessDispatcher({ concurrency: 4 });
  const engine = createEngine({
    storage: createMemoryStorage(),
    provider: createOfflineProvider({ size: 16 }),
    imageStore: createMemoryImageStore(),
    dispatcher,
    pollPolicy: { pollIntervalMs: 1 },
    logger: { warn() {}, error() {} },
    ...extra,
  });
  await engine.start();
  await engine.credits.grant('otto', 3, { idempotencyKey: 'g' });
  const { batch } = await engine.batches.submit('otto', { prompt: 'a fox', count: 3 });
  await engine.batches.waitFor('otto', batch.batchId);
  await engine.stop({ graceMs: 0 });
  return { engine, dispatcher };
}

describe('telemetry off', () => {
  it('without `telemetry` a batch starts no span, and the engine keeps the ports it was given', async () => {
    tracing.exporter.reset();
    const { engine, dispatcher } = await runBatch({});
    expect(tracing.spans()).toEqual([]);
    expect(engine.telemetry).toBeUndefined();
    expect(engine.dispatcher).toBe(dispatcher);
  });

  it('with createOtelTelemetry() on the global tracer the same batch is traced (the check above can fail)', async () => {
    tracing.exporter.reset();
    await runBatch({ telemetry: createOtelTelemetry() });
    const names = tracing.spans().map((s) => s.name);
    expect(names.filter((n) => n === 'imagegen.task.run')).toHaveLength(3);
    expect(names).toContain('imagegen.batch.submit');
  });
});
