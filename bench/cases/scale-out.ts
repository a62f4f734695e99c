import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createRedisEventRelay } from 'imagegen-kit/adapters/events/redis';
import { createMemoryImageStore } from 'imagegen-kit/adapters/image-stores/memory';
import { benchProvider } from '../zero-cost-provider.js';
import { createRedisStorage } from 'imagegen-kit/adapters/storage/redis';
import { createEngine } from 'imagegen-kit';
import type { BenchCase, BenchResult } from '../case.js';
import { alternating, ratio, ROUNDS, startProcesses, until } from '../measure.js';
import { timedWithCpu, type CpuPerTask } from '../process-cpu.js';
import { profiled } from '../profile.js';
import { SCALE_DISPATCHER, scaleDispatcher } from '../scale-dispatcher.js';
import { BULL_CONNECTION, scaleNames } from '../scale-out-names.js';
import { BATCH_SIZE, CONCURRENCY, USERS, benchPrompt } from '../shape.js';
import { deleteKeys } from '../../test/storage/redis-server.js';

/** Batches per run of the cpu regime (the io regime runs a quarter as many). */
const SCALE_BATCHES = Number(process.env.BENCH_SCALE_BATCHES ?? 200);
const PROCESS_COUNTS = (process.env.BENCH_SCALE_PROCESSES ?? '1,2,4').split(',').map(Number);
const WORKER = new URL('../processes/scale-worker.ts', import.meta.url);

/**
 * Two regimes: `cpu` (the shared shape: zero provider latency, 50 tasks per process, bound by
 * rendering and Redis on the machine's cores) and `io` (150 ms provider latency polled every
 * 100 ms, 10 tasks per process: bound by each process's concurrency, as with real providers).
 */
const REGIMES = [
  { name: 'cpu', latencyMs: 0, pollIntervalMs: 0, concurrency: CONCURRENCY, batches: SCALE_BATCHES, rounds: ROUNDS },
  // Bound by provider latency, it barely varies between runs: one round is enough.
  { name: 'io', latencyMs: 150, pollIntervalMs: 100, concurrency: 10, batches: Math.ceil(SCALE_BATCHES / 4), rounds: 1 },
] as const;
type Regime = (typeof REGIMES)[number];

/**
 * Scale-out: the engine with 1, 2 and 4 worker processes (Redis storage, the Redis queue or BENCH_SCALE_DISPATCHER=bullmq, Redis
 * event relay; this process is the `api` engine that submits and hears every event) against bare
 * BullMQ workers in as many processes running the same job shape (4 progress updates, the image
 * stored, a small result). Each is timed from the first submit/add until the queue is empty.
 * One result per process count, the median of alternating rounds (the cpu regime; one round of
 * the io regime); `scaling` is tasks/s against the same side with 1 process. `cpuUs` and
 * `baselineCpuUs` split the CPU per task of each side's last round: this process / the worker
 * processes / the Redis server, in µs.
 */
export const scaleOutCase: BenchCase = {
  name: 'scale-out',
  needs: ['redis'],
  async run() {
    const results: BenchResult[] = [];
    for (const regime of REGIMES) {
      const tasks = regime.batches * BATCH_SIZE;
      let engineOne = 0;
      let bullOne = 0;
      for (const processes of PROCESS_COUNTS) {
        let engineCpu: CpuPerTask | undefined;
        let bullCpu: CpuPerTask | undefined;
        const measured = await alternating(
          async () => {
            const run = await runBare(processes, regime);
            bullCpu = run.cpu;
            return run.seconds;
          },
          async () => {
            const run = await runEngine(processes, regime);
            engineCpu = run.cpu;
            return run.seconds;
          },
          regime.rounds,
        );
        const engineRate = tasks / measured.subjectSeconds;
        const bullRate = tasks / measured.baselineSeconds;
        if (processes === PROCESS_COUNTS[0]) [engineOne, bullOne] = [engineRate, bullRate];
        results.push({
          case: `scale-out ${regime.name} x${processes}`,
          tasks,
          tasksPerSec: Math.round(engineRate),
          dispatcher: SCALE_DISPATCHER,
          baseline: `bullmq x${processes}`,
          baselineTasksPerSec: Math.round(bullRate),
          ratio: ratio(measured.baselineSeconds, measured.subjectSeconds),
          processes,
          concurrencyPerProcess: regime.concurrency,
          latencyMs: regime.latencyMs,
          scaling: Math.round((engineRate / engineOne) * 100) / 100,
          baselineScaling: Math.round((bullRate / bullOne) * 100) / 100,
          rounds: regime.rounds,
          roundRatios: measured.roundRatios,
          // CPU per task of the last round of each side, µs: api process / worker processes / Redis.
          cpuUs: cpuText(engineCpu),
          baselineCpuUs: cpuText(bullCpu),
        });
      }
    }
    return results;
  },
};

function cpuText(cpu: CpuPerTask | undefined): string {
  return cpu ? `${cpu.api}/${cpu.workers ?? '?'}/${cpu.redis}` : '?';
}

function runName(side: string, processes: number): string {
  return `bench-scale-${side}${processes}-${process.pid}-${Date.now().toString(36)}`;
}

const workerArgs = (mode: string, prefix: string, r: Regime) => [
  mode,
  prefix,
  String(r.concurrency),
  String(r.latencyMs),
  String(r.pollIntervalMs),
];

async function runEngine(processes: number, regime: Regime): Promise<{ seconds: number; cpu: CpuPerTask }> {
  const prefix = runName('engine', processes);
  const names = scaleNames(prefix);
  const workers = await startProcesses(WORKER, workerArgs('engine', prefix, regime), processes);
  const redis = new Redis(BULL_CONNECTION);
  const dispatcher = scaleDispatcher(names);
  // Storage on a connection of its own (the adapter's): it sends each turn's commands in a few writes.
  const storage = createRedisStorage({ options: BULL_CONNECTION }, { prefix: names.storage });
  const engine = createEngine({
    storage,
    provider: benchProvider(),
    imageStore: createMemoryImageStore(),
    dispatcher,
    eventRelay: createRedisEventRelay({ connection: redis, channel: names.channel }),
    role: 'api',
    // The bench queues far more tasks per user than the tasks-waiting ceiling allows, on purpose.
    maxTasksWaitingPerUser: Number.POSITIVE_INFINITY,
    logger: { warn() {}, error() {} },
  });
  const tasks = regime.batches * BATCH_SIZE;
  let ended = 0;
  let progress = 0;
  engine.events.on('task:completed', () => ended++);
  engine.events.on('task:failed', () => ended++);
  engine.events.on('task:progress', () => progress++);
  try {
    await engine.start();
    for (let u = 0; u < USERS; u++) await engine.credits.grant(`user${u}`, tasks, { idempotencyKey: 'bench' });
    // With BENCH_PROFILE_DIR set, the API side's timed part is profiled (each worker profiles itself).
    const run = await timedWithCpu(tasks, workers, redis, () =>
      profiled(`scale-out-api-${regime.name}-x${processes}`, async () => {
        for (let b = 0; b < regime.batches; b++) {
          await engine.batches.submit(`user${b % USERS}`, { prompts: Array.from({ length: BATCH_SIZE }, (_, i) => benchPrompt(b, i)) });
        }
        // Every task's events reach this API process through the relay; the queue check covers a lost message.
        await until(async () => ended >= tasks || Object.values(await dispatcher.counts()).every((n) => n === 0));
      }),
    );
    let completed = 0;
    for (let u = 0; u < USERS; u++) {
      for (const b of (await engine.batches.list(`user${u}`, { limit: 100 })).items) completed += b.completedTasks;
    }
    if (completed !== tasks) throw new Error(`engine x${processes} completed ${completed} of ${tasks} tasks`);
    if (progress < tasks * 4 * 0.99)
      throw new Error(`engine x${processes}: the API heard ${progress} progress events, expected ${tasks * 4}`);
    return run;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await engine.stop({ graceMs: 0 });
    await storage.close();
    await dispatcher.obliterate().catch(() => {});
    await deleteKeys(redis, prefix);
    redis.disconnect();
  }
}

async function runBare(processes: number, regime: Regime): Promise<{ seconds: number; cpu: CpuPerTask }> {
  const prefix = runName('bare', processes);
  const names = scaleNames(prefix);
  const workers = await startProcesses(WORKER, workerArgs('bullmq', prefix, regime), processes);
  const queue = new Queue('bare', { connection: BULL_CONNECTION, prefix: names.bull });
  const redis = new Redis(BULL_CONNECTION);
  const tasks = regime.batches * BATCH_SIZE;
  try {
    const run = await timedWithCpu(tasks, workers, redis, async () => {
      for (let b = 0; b < regime.batches; b++) {
        await queue.addBulk(
          Array.from({ length: BATCH_SIZE }, (_, i) => ({
            name: 'task',
            data: { username: `user${b % USERS}`, prompt: benchPrompt(b, i), batch: b, index: i },
            opts: { removeOnComplete: true },
          })),
        );
      }
      await until(async () => (await queue.getJobCountByTypes('active', 'wait', 'prioritized', 'delayed')) === 0);
    });
    const failed = await queue.getJobCountByTypes('failed');
    if (failed > 0) throw new Error(`bullmq x${processes}: ${failed} jobs failed`);
    return run;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    redis.disconnect();
  }
}
