import { Queue, Worker } from 'bullmq';
import { createMemoryImageStore } from 'imagegen-kit/adapters/image-stores/memory';
import { benchProvider } from './zero-cost-provider.js';
import { runGeneration } from 'imagegen-kit/adapter-kit';
import { timed } from './measure.js';
import { redisInfoNumbers } from './redis-info.js';
import { BATCHES, BATCH_SIZE, CONCURRENCY, USERS, benchPrompt } from './shape.js';

export const REDIS = { host: '127.0.0.1', port: 6379 };

/**
 * BullMQ doing the engine's job shape on the same Redis: BATCHES `addBulk` calls of BATCH_SIZE
 * jobs, one Worker in this process with concurrency CONCURRENCY, each job running the same
 * offline-provider generation, storing the image in a memory image store, reporting 4 progress
 * updates (`job.updateProgress`: 10, 30, one poll, 100) and returning a small result.
 * Timed from the first add until every job completed. Returns the Redis bytes its jobs hold.
 */
export async function runBullmqBaseline(prefix: string): Promise<{ seconds: number; bytesPerJob: number }> {
  const tasks = BATCHES * BATCH_SIZE;
  const connection = { ...REDIS, maxRetriesPerRequest: null };
  const queue = new Queue('bench', { connection, prefix });
  const provider = benchProvider();
  const imageStore = createMemoryImageStore();
  const memoryBefore = await usedMemory(queue);
  let done = 0;
  let resolveAll!: () => void;
  const allDone = new Promise<void>((resolve) => (resolveAll = resolve));
  const worker = new Worker(
    'bench',
    async (job) => {
      await job.updateProgress(10);
      const { requestId, image } = await runGeneration({
        provider,
        input: { prompt: job.data.prompt as string, aspectRatio: '1:1', seed: null, outputFormat: 'png' },
        policy: { maxPolls: 40, pollIntervalMs: 0 },
        signal: new AbortController().signal,
        onProgress: (p) => void job.updateProgress(p),
      });
      const stored = await imageStore.put(image.bytes, { contentType: image.contentType, owner: job.data.username as string });
      await job.updateProgress(100);
      return { imageUrl: stored.url, requestId };
    },
    { connection, prefix, concurrency: CONCURRENCY, autorun: false },
  );
  worker.on('completed', () => {
    if (++done === tasks) resolveAll();
  });
  worker.on('failed', (job, error) => {
    throw new Error(`BullMQ job ${job?.id} failed: ${error.message}`);
  });
  await worker.waitUntilReady();
  void worker.run();
  const run = await timed(async () => {
    for (let b = 0; b < BATCHES; b++) {
      await queue.addBulk(
        Array.from({ length: BATCH_SIZE }, (_, i) => ({
          name: 'task',
          data: { username: `user${b % USERS}`, prompt: benchPrompt(b, i), batch: b, index: i },
        })),
      );
    }
    await allDone;
  });
  await worker.close();
  const bytesPerJob = Math.round(((await usedMemory(queue)) - memoryBefore) / tasks);
  await queue.obliterate({ force: true });
  await queue.close();
  return { ...run, bytesPerJob };
}

async function usedMemory(queue: Queue): Promise<number> {
  return (await redisInfoNumbers(await queue.client, 'memory', ['used_memory']))[0]!;
}
