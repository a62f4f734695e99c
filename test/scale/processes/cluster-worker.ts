/**
 * One worker process of the kill test: a `worker` engine on the shared Redis (storage, the
 * dispatcher `IGK_DISPATCHER` names, BullMQ unless `redis`, and the event relay) with a slow
 * offline provider. It records in Redis every provider submit (by
 * prompt) and every task completion it won (by task id), so the test can count duplicates across
 * processes, including the ones that were killed. Prints `ready` once it takes jobs.
 *
 * argv: storage prefix, label
 */
import { clusterEngine, clusterNames } from '../redis-setup.js';

const [prefix, label] = process.argv.slice(2) as [string, string];
const names = clusterNames(prefix);
const engine = clusterEngine(names, {
  role: 'worker',
  provider: {
    latencyMs: Number(process.env.IGK_LATENCY_MS ?? 50),
    failWhen: (input) => (input.prompt.includes('#fail') ? { reason: 'provider_error', message: 'injected' } : null),
  },
  dispatcher: { concurrency: Number(process.env.IGK_CONCURRENCY ?? 8) },
});
const stats = engine.redis;
const submit = engine.provider.submit.bind(engine.provider);
engine.provider.submit = async (input, ctx) => {
  await stats.hincrby(`${prefix}stats:submits`, input.prompt, 1);
  return submit(input, ctx);
};
const complete = engine.storage.completeTask.bind(engine.storage);
engine.storage.completeTask = async (...args) => {
  const ended = await complete(...args);
  if (ended) await stats.hincrby(`${prefix}stats:completions`, ended.task.taskId, 1);
  return ended;
};
await engine.start();
console.log(`ready ${label} ${process.pid}`);
process.on('SIGTERM', () => {
  void engine.stop({ graceMs: 2_000 }).then(() => {
    engine.redis.disconnect();
    process.exit(0);
  });
});
