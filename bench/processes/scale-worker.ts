/**
 * One worker process of the scale-out bench. argv: mode (`engine` | `bullmq`), prefix, concurrency,
 * provider latency (ms), poll interval (ms).
 * - engine: a `worker` engine on Redis storage, the dispatcher BENCH_SCALE_DISPATCHER names (the Redis
 *   queue unless `bullmq`) and the Redis event relay;
 * - bullmq: a bare BullMQ Worker running the same job shape (10, 30, one poll, 100 as
 *   `job.updateProgress`, the image put in a memory image store, a small result returned).
 * Warms up the renderer, then prints `ready`; exits on SIGTERM.
 */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createRedisEventRelay } from 'imagegen-kit/adapters/events/redis';
import { createMemoryImageStore } from 'imagegen-kit/adapters/image-stores/memory';
import { benchProvider } from '../zero-cost-provider.js';
import { createRedisStorage } from 'imagegen-kit/adapters/storage/redis';
import { createEngine } from 'imagegen-kit';
import { runGeneration } from 'imagegen-kit/adapter-kit';
import { BULL_CONNECTION, scaleNames } from '../scale-out-names.js';
import { profileUntilStopped } from '../profile.js';
import { scaleDispatcher } from '../scale-dispatcher.js';

const [mode, prefix, concurrencyText, latencyText, pollText] = process.argv.slice(2) as [
  'engine' | 'bullmq',
  string,
  string,
  string,
  string,
];
const concurrency = Number(concurrencyText);
const names = scaleNames(prefix);
const provider = benchProvider({ latencyMs: Number(latencyText) });
const imageStore = createMemoryImageStore();
const policy = { maxPolls: 40, pollIntervalMs: Number(pollText) };

const signal = new AbortController().signal;
const warm = benchProvider();
await Promise.all(
  Array.from({ length: 100 }, (_, i) =>
    runGeneration({
      provider: warm,
      input: { prompt: `warm ${i}`, aspectRatio: '1:1', seed: null, outputFormat: 'png' },
      policy: { maxPolls: 40, pollIntervalMs: 0 },
      signal,
    }),
  ),
);

let stop: () => Promise<void>;
if (mode === 'engine') {
  const redis = new Redis(BULL_CONNECTION);
  const storage = createRedisStorage({ options: BULL_CONNECTION }, { prefix: names.storage });
  const engine = createEngine({
    // Storage on a connection of its own (the adapter's): it sends each turn's commands in a few writes.
    storage,
    provider,
    imageStore,
    dispatcher: scaleDispatcher(names, concurrency),
    eventRelay: createRedisEventRelay({ connection: redis, channel: names.channel }),
    role: 'worker',
    pollPolicy: policy,
    logger: { warn() {}, error: console.error },
  });
  await engine.start();
  stop = async () => {
    await engine.stop({ graceMs: 1_000 });
    await storage.close();
    redis.disconnect();
  };
} else {
  const worker = new Worker(
    'bare',
    async (job) => {
      await job.updateProgress(10);
      const { requestId, image } = await runGeneration({
        provider,
        input: { prompt: job.data.prompt as string, aspectRatio: '1:1', seed: null, outputFormat: 'png' },
        policy,
        signal,
        onProgress: (p) => void job.updateProgress(p),
      });
      const stored = await imageStore.put(image.bytes, { contentType: image.contentType, owner: job.data.username as string });
      await job.updateProgress(100);
      return { imageUrl: stored.url, requestId };
    },
    { connection: BULL_CONNECTION, prefix: names.bull, concurrency },
  );
  await worker.waitUntilReady();
  stop = () => worker.close();
}
// With BENCH_PROFILE_DIR set, a CPU profile of everything after warm-up is written on SIGTERM.
const stopProfile = await profileUntilStopped(`scale-worker-${mode}`);
console.log('ready');
process.on(
  'SIGTERM',
  () =>
    void stopProfile()
      .then(stop)
      .then(() => process.exit(0)),
);
