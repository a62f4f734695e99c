/**
 * An API process: submits batches and follows their progress, while the tasks run in the worker
 * processes. It runs no task itself (role `api`); the progress it prints arrives from the workers
 * through the Redis event relay. In a real service this is the HTTP server (see README).
 *
 *   npx tsx examples/scale-out/api.ts
 */
import { clusterEngine } from './cluster.js';

const { engine, close } = clusterEngine('api');
await engine.start();
const user = `demo${process.pid}`;
await engine.credits.grant(user, 30, { idempotencyKey: 'welcome' });

const progress = new Map<string, number>();
const workers = new Set<string>();
engine.events.on('task:progress', (e) => {
  progress.set(e.taskId, e.progress);
});
engine.events.on('task:completed', (e) => workers.add(e.taskId));

const batches = [];
for (const prompt of ['a lighthouse at dusk', 'a fox in the snow', 'a paper boat']) {
  const { batch, creditsRemaining } = await engine.batches.submit(user, { prompt, count: 5 });
  console.log(`submitted ${batch.batchId} (5 tasks), ${creditsRemaining} credits left`);
  batches.push(batch);
}
const ticker = setInterval(() => {
  const values = [...progress.values()];
  const mean = values.length ? Math.round(values.reduce((a, b) => a + b, 0) / 15) : 0;
  console.log(`progress ${mean}% (${workers.size}/15 tasks done)`);
}, 500);
const done = await Promise.all(batches.map((b) => engine.batches.waitFor(user, b.batchId)));
clearInterval(ticker);
for (const b of done) console.log(`${b.batchId}: ${b.status}, ${b.completedTasks} completed, ${b.failedTasks} failed`);
console.log(`balance ${await engine.credits.balance(user)}`);
await engine.stop();
await close();
