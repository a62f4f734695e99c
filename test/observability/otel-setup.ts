import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** A finished span as the tests compare it (and as the worker process prints it). */
export interface SpanRecord {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  kind: number;
  attributes: Record<string, unknown>;
  status: { code: number; message?: string };
}

export function spanRecord(span: ReadableSpan): SpanRecord {
  const { traceId, spanId } = span.spanContext();
  return {
    name: span.name,
    traceId,
    spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    kind: span.kind,
    attributes: { ...span.attributes },
    status: { ...span.status },
  };
}

/**
 * The OpenTelemetry SDK with in-memory export and the AsyncLocalStorage context manager, as a host
 * would register it; `also` gets every finished span too (the worker process prints them).
 */
export function inMemoryTracing(name: string, also?: (span: ReadableSpan) => void) {
  const exporter = new InMemorySpanExporter();
  const processors: SpanProcessor[] = [new SimpleSpanProcessor(exporter)];
  if (also) {
    processors.push({
      onStart() {},
      onEnd: also,
      forceFlush: async () => {},
      shutdown: async () => {},
    });
  }
  const provider = new BasicTracerProvider({ spanProcessors: processors });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  return { exporter, provider, tracer: provider.getTracer(name), spans: () => exporter.getFinishedSpans().map(spanRecord) };
}
