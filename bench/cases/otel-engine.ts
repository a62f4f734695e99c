import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { createMemoryStorage } from 'imagegen-kit/adapters/storage/memory';
import { createOtelTelemetry } from 'imagegen-kit/adapters/telemetry/otel';
import type { BenchCase } from '../case.js';
import { runEngineOn, warmUp } from '../engine-run.js';
import { ratio } from '../measure.js';
import { BATCHES, BATCH_SIZE } from '../shape.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/**
 * The cost of tracing and metrics: the engine on memory storage with the OpenTelemetry SDK
 * (spans batched to an in-memory exporter, metrics read by the Prometheus exporter) against the
 * same engine without `telemetry`, alternating which runs first; medians reported.
 */
export const otelEngineCase: BenchCase = {
  name: 'engine-otel',
  async run() {
    const tasks = BATCHES * BATCH_SIZE;
    await warmUp();
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
    const meterProvider = new MeterProvider({ readers: [new PrometheusExporter({ preventServerStart: true })] });
    const telemetry = createOtelTelemetry({ tracer: tracerProvider.getTracer('bench'), meter: meterProvider.getMeter('bench') });
    const plain: number[] = [];
    const traced: number[] = [];
    const runPlain = async () => plain.push((await runEngineOn(createMemoryStorage(), 'user')).seconds);
    const runTraced = async () => {
      traced.push((await runEngineOn(createMemoryStorage(), 'user', { telemetry })).seconds);
      exporter.reset();
    };
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2 === 0) {
        await runPlain();
        await runTraced();
      } else {
        await runTraced();
        await runPlain();
      }
    }
    await tracerProvider.shutdown();
    await meterProvider.shutdown();
    context.disable();
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    return {
      case: 'engine-otel',
      tasks,
      tasksPerSec: Math.round(tasks / median(traced)),
      baseline: 'engine without telemetry',
      baselineTasksPerSec: Math.round(tasks / median(plain)),
      ratio: ratio(median(plain), median(traced)),
      rounds: ROUNDS,
    };
  },
};
