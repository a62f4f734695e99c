/**
 * imagegen-kit/adapters/telemetry/otel: the engine's {@link Telemetry} on the OpenTelemetry API
 * (`@opentelemetry/api`, an optional peer: only this subpath loads it). Pass the result as
 * `createEngine({ telemetry })`; the host's SDK decides where spans and metrics go.
 */
import {
  context,
  isSpanContextValid,
  metrics,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  ValueType,
  type Attributes,
  type Context,
  type Meter,
  type Tracer,
} from '@opentelemetry/api';
import type { Telemetry, TelemetrySources, TelemetrySpanKind } from '../../../core/ports/telemetry.js';
import { isImageGenError } from '../../../core/errors/image-gen-error.js';

export type { Telemetry, TelemetryAttributes, TelemetrySources } from '../../../core/ports/telemetry.js';

export interface OtelTelemetryOptions {
  /** @default trace.getTracer('imagegen-kit') (the global provider the SDK registered) */
  tracer?: Tracer;
  /** @default metrics.getMeter('imagegen-kit') */
  meter?: Meter;
}

const KINDS: Record<TelemetrySpanKind, SpanKind> = {
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
};

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Seconds: from a quick poll to a slow generation. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 60, 120, 300];

/** A context whose remote parent is the span a `traceparent` names; the current one when it is malformed. */
export function contextFromTraceparent(traceparent: string, base: Context = ROOT_CONTEXT): Context | null {
  const match = TRACEPARENT.exec(traceparent.trim());
  if (!match) return null;
  const spanContext = { traceId: match[1]!, spanId: match[2]!, traceFlags: Number.parseInt(match[3]!, 16), isRemote: true };
  if (!isSpanContextValid(spanContext)) return null;
  return trace.setSpanContext(base, spanContext);
}

/** The W3C `traceparent` of the span current in `ctx`, or undefined. */
export function traceparentOf(ctx: Context = context.active()): string | undefined {
  const spanContext = trace.getSpanContext(ctx);
  if (!spanContext || !isSpanContextValid(spanContext)) return undefined;
  return `00-${spanContext.traceId}-${spanContext.spanId}-${(spanContext.traceFlags & 1) === 1 ? '01' : '00'}`;
}

/**
 * Spans and metrics of the engine through OpenTelemetry. Metrics (names as the Prometheus exporter
 * shows them):
 * - `imagegen_tasks_waiting`, `imagegen_tasks_running` (gauges, from the dispatcher),
 * - `imagegen_tasks_enqueued_total`, `imagegen_tasks_ended_total{outcome,provider,model}`,
 * - `imagegen_task_duration` and `imagegen_provider_duration{operation}` (histograms by provider, model, outcome),
 * - `imagegen_credits_{charged,refunded,expired,granted}_total`,
 * - `imagegen_provider_key_{in_flight,cooling_down,out_of_rotation}{key}` (gauges per key label).
 *
 * A failed span's status carries the error's code (`provider_error`, `timeout`), not its message:
 * a provider's error text may quote what it was sent.
 */
export function createOtelTelemetry(options: OtelTelemetryOptions = {}): Telemetry {
  const tracer = options.tracer ?? trace.getTracer('imagegen-kit');
  const meter = options.meter ?? metrics.getMeter('imagegen-kit');
  const taskDuration = meter.createHistogram('imagegen.task.duration', {
    unit: 's',
    description: 'Time of one task run, claim to final state',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
  const providerDuration = meter.createHistogram('imagegen.provider.duration', {
    unit: 's',
    description: 'Time of one provider call (submit, poll, download, cancel), retries included',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
  const tasksEnqueued = meter.createCounter('imagegen.tasks.enqueued', {
    description: 'Task jobs handed to the dispatcher',
    valueType: ValueType.INT,
  });
  const tasksEnded = meter.createCounter('imagegen.tasks.ended', { description: 'Task runs ended, by outcome', valueType: ValueType.INT });
  const credits = {
    charged: meter.createCounter('imagegen.credits.charged', { description: 'Credits charged', valueType: ValueType.INT }),
    refunded: meter.createCounter('imagegen.credits.refunded', { description: 'Credits refunded', valueType: ValueType.INT }),
    expired: meter.createCounter('imagegen.credits.expired', {
      description: 'Credits expired (as announced by the engine)',
      valueType: ValueType.INT,
    }),
    granted: meter.createCounter('imagegen.credits.granted', { description: 'Credits granted', valueType: ValueType.INT }),
  };

  return {
    async span(name, spanOptions, fn) {
      const active = context.active();
      const parent = spanOptions.parent ? (contextFromTraceparent(spanOptions.parent) ?? active) : active;
      const span = tracer.startSpan(name, { kind: KINDS[spanOptions.kind ?? 'internal'], attributes: spanOptions.attributes }, parent);
      return context.with(trace.setSpan(parent, span), async () => {
        try {
          return await fn({ setAttributes: (attributes) => void span.setAttributes(attributes as Attributes) });
        } catch (error) {
          const code = isImageGenError(error) ? error.code : error instanceof Error ? error.name : 'error';
          span.setAttribute('error.type', code);
          span.setStatus({ code: SpanStatusCode.ERROR, message: code });
          throw error;
        } finally {
          span.end();
        }
      });
    },
    traceparent: () => traceparentOf(),
    tasksEnqueued: (count) => tasksEnqueued.add(count),
    taskEnded(seconds, attributes) {
      taskDuration.record(seconds, attributes);
      tasksEnded.add(1, attributes);
    },
    providerCall: (seconds, attributes) => providerDuration.record(seconds, attributes),
    credits: (kind, amount) => credits[kind].add(amount),
    observe: (sources) => observeSources(meter, sources),
  };
}

function observeSources(meter: Meter, sources: TelemetrySources): void {
  if (sources.tasks) {
    const tasks = sources.tasks;
    const waiting = meter.createObservableGauge('imagegen.tasks.waiting', {
      description: 'Tasks queued, not yet running',
      valueType: ValueType.INT,
    });
    const running = meter.createObservableGauge('imagegen.tasks.running', { description: 'Tasks running', valueType: ValueType.INT });
    meter.addBatchObservableCallback(
      async (result) => {
        const counts = await tasks().catch(() => null);
        if (!counts) return;
        result.observe(waiting, counts.waiting);
        result.observe(running, counts.running);
      },
      [waiting, running],
    );
  }
  if (sources.keys) {
    const keys = sources.keys;
    const inFlight = meter.createObservableGauge('imagegen.provider.key.in_flight', {
      description: 'Generations holding the key',
      valueType: ValueType.INT,
    });
    const cooling = meter.createObservableGauge('imagegen.provider.key.cooling_down', {
      description: '1 while the key rests after a 429',
      valueType: ValueType.INT,
    });
    const out = meter.createObservableGauge('imagegen.provider.key.out_of_rotation', {
      description: '1 once the key was rejected (401/403)',
      valueType: ValueType.INT,
    });
    meter.addBatchObservableCallback(
      (result) => {
        const now = Date.now();
        for (const key of keys()) {
          const attributes = { key: key.label };
          result.observe(inFlight, key.inFlight, attributes);
          result.observe(cooling, key.coolingUntil !== null && key.coolingUntil > now ? 1 : 0, attributes);
          result.observe(out, key.disabledReason === null ? 0 : 1, attributes);
        }
      },
      [inFlight, cooling, out],
    );
  }
}
