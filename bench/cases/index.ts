import type { BenchCase } from '../case.js';
import { clientBundleCase } from './client-bundle.js';
import { eventStreamsCase } from './event-streams.js';
import { memoryEngineCase } from './memory-engine.js';
import { otelEngineCase } from './otel-engine.js';
import { postgresEngineCase } from './postgres-engine.js';
import { providerLatencyPollingCase, providerLatencyWebhooksCase } from './provider-latency.js';
import { redisEngineCase } from './redis-engine.js';
import { scaleOutCase } from './scale-out.js';
import { sseConnectionsCase } from './sse-connections.js';
import { sqliteEngineCase } from './sqlite-engine.js';
import { statusReadsCase } from './status-reads.js';

/** Every benchmark case, in the order `npm run bench` runs them. */
export const cases: BenchCase[] = [
  memoryEngineCase,
  sqliteEngineCase,
  redisEngineCase,
  postgresEngineCase,
  otelEngineCase,
  providerLatencyPollingCase,
  providerLatencyWebhooksCase,
  scaleOutCase,
  clientBundleCase,
  eventStreamsCase,
  statusReadsCase,
  // Last: 10,000 connections leave the heap and the sockets' TIME_WAIT behind them.
  sseConnectionsCase,
];
