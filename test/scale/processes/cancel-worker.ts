/**
 * The worker process of the cancel test: a `worker` engine on the shared Redis (storage and
 * BullMQ, no event relay: a cancel must reach it through storage alone) with a provider that
 * never finishes on its own. Prints `running <taskId> <requestId>` once a task's provider request
 * is saved, `cancelled <requestId>` when the provider is told to stop, `ready` once it takes jobs.
 *
 * argv: storage prefix
 */
import { clusterEngine, clusterNames } from '../redis-setup.js';

const [prefix] = process.argv.slice(2) as [string];
const engine = clusterEngine(clusterNames(prefix), {
  role: 'worker',
  provider: { pollsBeforeReady: 1_000_000 },
  engine: { eventRelay: undefined, leaseMs: 600, pollPolicy: { pollIntervalMs: 10, maxPolls: 1_000_000 } },
});
const cancel = engine.provider.cancel!.bind(engine.provider);
engine.provider.cancel = async (requestId) => {
  console.log(`cancelled ${requestId}`);
  await cancel(requestId);
};
const update = engine.storage.updateTaskProgress.bind(engine.storage);
engine.storage.updateTaskProgress = async (batchId, index, attempts, progress) => {
  const held = await update(batchId, index, attempts, progress);
  if (held && progress.providerRequestId) console.log(`running ${batchId}:${index} ${progress.providerRequestId}`);
  return held;
};
await engine.start();
console.log('ready');
process.on('SIGTERM', () => {
  void engine.stop({ graceMs: 500 }).then(() => {
    engine.redis.disconnect();
    process.exit(0);
  });
});
