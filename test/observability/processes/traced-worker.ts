/**
 * The worker process of the trace test: a `worker` engine on the shared Redis (storage and BullMQ)
 * with OpenTelemetry (in-memory SDK) and the BFL adapter on a local fake BFL with two keys. Prints
 * `span <json>` for every span it finishes and `ready` once it takes jobs.
 *
 * argv: storage prefix, fake BFL URL
 */
import { createOtelTelemetry } from '../../../src/adapters/telemetry/otel/index.js';
import { createBflProvider } from '../../../src/adapters/providers/bfl/index.js';
import { clusterEngine, clusterNames } from '../../scale/redis-setup.js';
import { inMemoryTracing, spanRecord } from '../otel-setup.js';

const [prefix, bflUrl] = process.argv.slice(2) as [string, string];
const tracing = inMemoryTracing('worker', (span) => console.log(`span ${JSON.stringify(spanRecord(span))}`));
const engine = clusterEngine(clusterNames(prefix), {
  role: 'worker',
  engine: {
    eventRelay: undefined,
    provider: createBflProvider({ apiKeys: ['worker-key-one', 'worker-key-two'], region: bflUrl }),
    telemetry: createOtelTelemetry({ tracer: tracing.tracer }),
  },
});
await engine.start();
console.log('ready');
process.on('SIGTERM', () => {
  void engine.stop({ graceMs: 500 }).then(() => {
    engine.redis.disconnect();
    process.exit(0);
  });
});
