/**
 * A child process of the restart-recovery test: an engine on shared storage (a SQLite file or a
 * PostgreSQL schema) with a slow offline provider.
 *
 *   tsx engine-worker.ts <kind> <target> submit <username> <batches>   grants, submits, runs until killed
 *   tsx engine-worker.ts <kind> <target> resume                        starts (recovering), runs until idle, exits
 *
 * Prints `submitted <ids JSON>`, then `completed <taskId>` per finished task, and `idle <JSON>` on resume.
 */
import { createMemoryImageStore } from '../../../src/adapters/image-stores/memory/index.js';
import { createOfflineProvider } from '../../../src/adapters/providers/offline/index.js';
import { createEngine } from '../../../src/core/engine.js';
import { openStorage, type StorageKind } from './open-storage.js';

const [kind, target, mode, username, batches] = process.argv.slice(2) as [StorageKind, string, string, string?, string?];
const engine = createEngine({
  storage: await openStorage(kind, target),
  provider: createOfflineProvider({ size: 32, latencyMs: 250, pollsBeforeReady: 1, pollPolicy: { pollIntervalMs: 40, maxPolls: 40 } }),
  imageStore: createMemoryImageStore(),
  concurrency: 4,
  progressWriteIntervalMs: 50,
  logger: { warn: (m, f) => console.error(m, f), error: (m, f) => console.error(m, f) },
});
engine.events.on('task:completed', (e) => process.stdout.write(`completed ${e.taskId}\n`));

if (mode === 'submit') {
  await engine.start();
  const count = Number(batches);
  await engine.credits.grant(username!, count * 10, { idempotencyKey: 'starting-grant' });
  const ids: string[] = [];
  for (let i = 0; i < count; i++)
    ids.push((await engine.batches.submit(username!, { prompt: `restart test ${i}`, count: 10 })).batch.batchId);
  process.stdout.write(`submitted ${JSON.stringify(ids)}\n`);
  // Runs until the parent kills this process.
  await new Promise(() => {});
} else {
  const { recovered } = await engine.start();
  await engine.onIdle();
  process.stdout.write(`idle ${JSON.stringify({ recovered })}\n`);
  await engine.stop({ graceMs: 1000 });
  await engine.storage.close();
}
