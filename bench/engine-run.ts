import { createMemoryImageStore } from 'imagegen-kit/adapters/image-stores/memory';
import { benchProvider } from './zero-cost-provider.js';
import { createEngine } from 'imagegen-kit';
import type { EngineOptions, StorageAdapter } from 'imagegen-kit';
import { runGeneration } from 'imagegen-kit/adapter-kit';
import { timed } from './measure.js';
import { profiled } from './profile.js';
import { BATCHES, BATCH_SIZE, CONCURRENCY, USERS, benchPrompt } from './shape.js';

/**
 * The engine on `storage`, running the shared task shape: BATCHES submits of BATCH_SIZE prompts
 * over USERS users, concurrency CONCURRENCY, timed from the first submit until every task ended.
 * Checks that every task completed with 4 progress events before it reports.
 */
export async function runEngineOn(
  storage: StorageAdapter,
  userPrefix: string,
  extra: Partial<EngineOptions> = {},
): Promise<{ seconds: number }> {
  const tasks = BATCHES * BATCH_SIZE;
  const engine = createEngine({
    storage,
    provider: benchProvider(),
    imageStore: createMemoryImageStore(),
    concurrency: CONCURRENCY,
    pollPolicy: { pollIntervalMs: 0 },
    // The bench queues far more tasks per user than the tasks-waiting ceiling allows, on purpose.
    maxTasksWaitingPerUser: Number.POSITIVE_INFINITY,
    logger: { warn() {}, error() {} },
    ...extra,
  });
  let progressEvents = 0;
  let completed = 0;
  engine.events.on('task:progress', () => progressEvents++);
  engine.events.on('task:completed', () => completed++);
  await engine.start();
  for (let u = 0; u < USERS; u++) await engine.credits.grant(`${userPrefix}${u}`, tasks, { idempotencyKey: 'bench' });
  const run = await profiled(`engine-${userPrefix}`, () =>
    timed(async () => {
      for (let b = 0; b < BATCHES; b++) {
        await engine.batches.submit(`${userPrefix}${b % USERS}`, {
          prompts: Array.from({ length: BATCH_SIZE }, (_, i) => benchPrompt(b, i)),
        });
      }
      await engine.onIdle();
    }),
  );
  await engine.stop();
  if (completed !== tasks) throw new Error(`engine completed ${completed} of ${tasks} tasks`);
  if (progressEvents !== tasks * 4) throw new Error(`expected 4 progress events per task, saw ${progressEvents / tasks}`);
  let stored = 0;
  for (let u = 0; u < USERS; u++) {
    for (let cursor: string | null = null; ; ) {
      const page = await storage.listBatches(`${userPrefix}${u}`, { limit: 100, cursor });
      for (const b of page.items) stored += b.completedTasks;
      if (!(cursor = page.nextCursor)) break;
    }
  }
  if (stored !== tasks) throw new Error(`storage shows ${stored} of ${tasks} tasks completed`);
  return run;
}

/** Compiles the provider path (and loads sharp with `BENCH_PROVIDER=offline`) before anything is timed. */
export async function warmUp(): Promise<void> {
  const provider = benchProvider();
  const signal = new AbortController().signal;
  await Promise.all(
    Array.from({ length: 500 }, (_, i) =>
      runGeneration({
        provider,
        input: { prompt: `warm ${i}`, aspectRatio: '1:1', seed: null, outputFormat: 'png' },
        policy: { maxPolls: 40, pollIntervalMs: 0 },
        signal,
      }),
    ),
  );
}
