/** Span and metric attributes: plain values only (ids, names, counts), never a key or a token. */
export type TelemetryAttributes = Record<string, string | number | boolean>;

/** What a span is, as OpenTelemetry names it. */
export type TelemetrySpanKind = 'internal' | 'server' | 'client' | 'producer' | 'consumer';

/** The span a {@link Telemetry.span} callback runs in. */
export interface TelemetrySpan {
  setAttributes(attributes: TelemetryAttributes): void;
}

/** How a counted thing ended, for the `outcome` attribute. */
export type TelemetryOutcome = 'completed' | 'failed' | 'cancelled' | 'interrupted' | 'busy' | 'skipped' | 'ok' | 'error';

/** One provider key as gauges show it (label only, never the key). */
export interface TelemetryKeyState {
  label: string;
  inFlight: number;
  /** Epoch ms until which the key rests after a 429, or null. */
  coolingUntil: number | null;
  /** Why the key left rotation (401/403), or null. */
  disabledReason: string | null;
  /** Generations it finished well / badly, and its 429 cool-downs (provider-kit pools count them). */
  successes?: number;
  failures?: number;
  coolDowns?: number;
}

/** What gauges read each time metrics are collected. */
export interface TelemetrySources {
  /** Tasks queued and running (the dispatcher's view: the whole queue for a distributed one). */
  tasks?: () => Promise<{ waiting: number; running: number }>;
  /** The provider's key pool. */
  keys?: () => readonly TelemetryKeyState[];
}

/**
 * Where the engine reports traces and metrics (`EngineOptions.telemetry`; the OpenTelemetry
 * implementation is `createOtelTelemetry` of `imagegen-kit/adapters/telemetry/otel`). Without one
 * the engine runs no instrumentation code at all.
 */
export interface Telemetry {
  /**
   * Runs `fn` in a new span, current for everything `fn` awaits; the span ends when `fn` settles,
   * failed when it throws. `parent` (a W3C `traceparent`) continues a trace begun elsewhere, e.g.
   * the submit of the task a worker runs; without it the current span is the parent.
   */
  span<T>(
    name: string,
    options: { kind?: TelemetrySpanKind; attributes?: TelemetryAttributes; parent?: string | null },
    fn: (span: TelemetrySpan) => Promise<T>,
  ): Promise<T>;
  /** The W3C `traceparent` of the current span, to travel with a job; undefined outside a span. */
  traceparent(): string | undefined;
  /** Tasks handed to the dispatcher. */
  tasksEnqueued(count: number): void;
  /** A task run ended: its duration and how (`provider`, `model`, `outcome`). */
  taskEnded(seconds: number, attributes: TelemetryAttributes): void;
  /** One call to the provider (`provider`, `model`, `operation`, `outcome`). */
  providerCall(seconds: number, attributes: TelemetryAttributes): void;
  /** Credits moved, as a positive amount. */
  credits(kind: 'charged' | 'refunded' | 'expired' | 'granted', amount: number): void;
  /** Registers what the gauges read; called once by the engine. */
  observe(sources: TelemetrySources): void;
}
