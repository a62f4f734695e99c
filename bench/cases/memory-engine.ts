import PQueue from 'p-queue';
import { createMemoryImageStore } from 'imagegen-kit/adapters/image-stores/memory';
import { createOfflineProvider } from 'imagegen-kit/adapters/providers/offline';
import { createMemoryStorage } from 'imagegen-kit/adapters/storage/memory';
import { createEngine, runGeneration } from 'imagegen-kit';
import type { BenchCase } from '../case.js';
import { heapUsedAfterGc, ratio, timed } from '../measure.js';
import { BATCHES, BATCH_SIZE, CONCURRENCY, OFFLINE_OPTIONS, USERS, benchPrompt } from '../shape.js';

/** The engine on memory storage against p-queue running the same task shape. */
/** Rounds of each side, alternating which goes first; the medians are reported. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** The engine on memory storage against p-queue running the same task shape. */
export const memoryEngineCase: BenchCase = {
  name: 'engine-memory',
  async run() {
    const tasks = BATCHES * BATCH_SIZE;
    await warmUp();
    const engineSeconds: number[] = [];
    const baselineSeconds: number[] = [];
    let bytesPerTask = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const runBaseline = async () => baselineSeconds.push((await timed(() => runPQueueBaseline())).seconds);
      const runEngineSide = async () => {
        const result = await runEngine(tasks);
        engineSeconds.push(result.seconds);
        bytesPerTask = result.bytesPerTask;
      };
      if (round % 2 === 0) {
        await runBaseline();
        await runEngineSide();
      } else {
        await runEngineSide();
        await runBaseline();
      }
    }
    const engine = median(engineSeconds);
    const baseline = median(baselineSeconds);
    return {
      case: 'engine-memory',
      tasks,
      tasksPerSec: Math.round(tasks / engine),
      baseline: 'p-queue',
      baselineTasksPerSec: Math.round(tasks / baseline),
      ratio: ratio(baseline, engine),
      bytesPerTask,
      concurrency: CONCURRENCY,
      rounds: ROUNDS,
      roundRatios: engineSeconds.map((s, i) => ratio(baselineSeconds[i]!, s)).join('/'),
    };
  },
};

/** One engine run on fresh memory storage; heap held per stored task afterwards. */
async function runEngine(tasks: number): Promise<{ seconds: number; bytesPerTask: number }> {
  const heapBefore = heapUsedAfterGc();
  const engine = createEngine({
    storage: createMemoryStorage(),
    provider: createOfflineProvider(OFFLINE_OPTIONS),
    imageStore: createMemoryImageStore(),
    concurrency: CONCURRENCY,
    pollPolicy: { pollIntervalMs: 0 },
    logger: { warn() {}, error() {} },
  });
  let progressEvents = 0;
  engine.events.on('task:progress', () => progressEvents++);
  await engine.start();
  for (let u = 0; u < USERS; u++) await engine.credits.grant(`user${u}`, tasks, { idempotencyKey: 'bench' });
  const run = await timed(async () => {
    for (let b = 0; b < BATCHES; b++) {
      await engine.batches.submit(`user${b % USERS}`, { prompts: Array.from({ length: BATCH_SIZE }, (_, i) => benchPrompt(b, i)) });
    }
    await engine.onIdle();
  });
  const bytesPerTask = Math.round((heapUsedAfterGc() - heapBefore) / tasks);
  const completed = await countCompleted(engine.batches, USERS);
  await engine.stop();
  if (completed !== tasks) throw new Error(`engine completed ${completed} of ${tasks} tasks`);
  if (progressEvents !== tasks * 4) throw new Error(`expected 4 progress events per task, saw ${progressEvents / tasks}`);
  return { seconds: run.seconds, bytesPerTask };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** p-queue with the same provider calls, 4 progress events and the result kept in a Map. */
async function runPQueueBaseline(): Promise<void> {
  const provider = createOfflineProvider(OFFLINE_OPTIONS);
  const queue = new PQueue({ concurrency: CONCURRENCY });
  const results = new Map<string, { bytes: Uint8Array; requestId: string }>();
  const progress = new Map<string, number>();
  const onProgress = (id: string, value: number) => progress.set(id, value);
  for (let b = 0; b < BATCHES; b++) {
    for (let i = 0; i < BATCH_SIZE; i++) {
      const id = `batch:user${b % USERS}:${b}:${i}`;
      void queue.add(async () => {
        onProgress(id, 10);
        const { requestId, image } = await runGeneration({
          provider,
          input: { prompt: benchPrompt(b, i), aspectRatio: '1:1', seed: null, outputFormat: 'png' },
          policy: { maxPolls: 40, pollIntervalMs: 0 },
          signal: new AbortController().signal,
          onProgress: (p) => onProgress(id, p),
        });
        results.set(id, { bytes: image.bytes, requestId });
        onProgress(id, 100);
      });
    }
  }
  await queue.onIdle();
  if (results.size !== BATCHES * BATCH_SIZE) throw new Error('baseline lost tasks');
}

/** Loads sharp and compiles the render path before either side is timed, so neither pays for it. */
async function warmUp(): Promise<void> {
  const provider = createOfflineProvider(OFFLINE_OPTIONS);
  const signal = new AbortController().signal;
  await Promise.all(
    Array.from({ length: 500 }, (_, i) =>
      runGeneration({ provider, input: { prompt: `warm ${i}`, aspectRatio: '1:1', seed: null, outputFormat: 'png' }, policy: { maxPolls: 40, pollIntervalMs: 0 }, signal }),
    ),
  );
}

async function countCompleted(batches: ReturnType<typeof createEngine>['batches'], users: number): Promise<number> {
  let completed = 0;
  for (let u = 0; u < users; u++) {
    let cursor: string | null = null;
    do {
      const page = await batches.list(`user${u}`, { limit: 100, cursor });
      for (const b of page.items) completed += b.completedTasks;
      cursor = page.nextCursor;
    } while (cursor);
  }
  return completed;
}
