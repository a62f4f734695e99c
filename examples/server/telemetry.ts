import type { Logger, Telemetry } from '../../src/index.js';
import { flag } from './env.js';

/** The reference server's telemetry: the engine's metrics, read by `GET /metrics`. */
export interface ServerTelemetry {
  telemetry: Telemetry;
  /** The metrics now, in the Prometheus text format (0.0.4). */
  scrape(): Promise<string>;
  shutdown(): Promise<void>;
}

/**
 * Metrics through the OpenTelemetry SDK with the Prometheus exporter as a pull reader (no server of
 * its own: `GET /metrics` of the reference server serializes a collection). The OTel exporter rather
 * than prom-client: the engine reports through the OTel API once, and the same instruments can go to
 * OTLP as well; prom-client would be a second metrics API over the same numbers. Spans go to the
 * global tracer, a no-op until the host registers an SDK (e.g. `node --import ./otel.js`).
 * Loaded on demand: a server started with `IMAGEGEN_METRICS=0` loads none of it.
 */
export async function createServerTelemetry(): Promise<ServerTelemetry> {
  const [{ MeterProvider }, { PrometheusExporter, PrometheusSerializer }, { createOtelTelemetry }] = await Promise.all([
    import('@opentelemetry/sdk-metrics'),
    import('@opentelemetry/exporter-prometheus'),
    import('../../src/adapters/telemetry/otel/index.js'),
  ]);
  const reader = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const serializer = new PrometheusSerializer();
  return {
    telemetry: createOtelTelemetry({ meter: meterProvider.getMeter('imagegen-kit') }),
    async scrape() {
      const { resourceMetrics, errors } = await reader.collect();
      for (const error of errors) console.error('[imagegen-kit] metrics collection:', error);
      return serializer.serialize(resourceMetrics);
    },
    shutdown: () => meterProvider.shutdown(),
  };
}

/** `IMAGEGEN_METRICS` unset or true: metrics on; `0`/`false`: off. */
export function metricsWanted(env: Record<string, string | undefined> = process.env): boolean {
  return flag(env, 'IMAGEGEN_METRICS') ?? true;
}

/**
 * The server's telemetry when `IMAGEGEN_METRICS` allows it; null when it is off, or (with a
 * warning) when the OpenTelemetry packages are not installed: the server then runs without `/metrics`.
 */
export async function openServerTelemetry(logger: Logger): Promise<ServerTelemetry | null> {
  if (!metricsWanted()) return null;
  try {
    return await createServerTelemetry();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw error;
    logger.warn(
      'metrics are off: install @opentelemetry/api, @opentelemetry/sdk-metrics and @opentelemetry/exporter-prometheus for /metrics',
      {
        error: (error as Error).message,
      },
    );
    return null;
  }
}
