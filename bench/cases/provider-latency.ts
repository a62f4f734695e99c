import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMemoryImageStore } from 'imagegen-kit/adapters/image-stores/memory';
import { createBflProvider } from 'imagegen-kit/adapters/providers/bfl';
import { createWebhookHandler, StatusInbox } from 'imagegen-kit/adapters/providers/webhooks';
import { createMemoryStorage } from 'imagegen-kit/adapters/storage/memory';
import { createEngine } from 'imagegen-kit';
import { startRemoteFakeBfl } from '../remote-fake-bfl.js';
import type { BenchCase, BenchResult } from '../case.js';
import { timed } from '../measure.js';

const TASKS = 480;
const LATENCY_MS = 500;
const KEYS = 3;
const PER_KEY = 8;
const POLL_MS = 25;
/** tasks × latency / (keys × concurrency): the makespan if every key slot were busy all the time. */
const IDEAL_SECONDS = (TASKS * LATENCY_MS) / (KEYS * PER_KEY) / 1000;

/**
 * The BFL adapter against a local fake BFL (500 ms per generation, 8 active tasks per key, 429
 * beyond), 3 keys, 480 tasks through the engine. Reports the makespan and its ratio to the ideal:
 * targets ≤ 1.10 polling every 25 ms, ≤ 1.02 with webhooks.
 */
function latencyCase(mode: 'polling' | 'webhooks'): BenchCase {
  return {
    name: `provider-latency-${mode}`,
    async run(): Promise<BenchResult> {
      const fake = await startRemoteFakeBfl({ latencyMs: LATENCY_MS, concurrencyPerKey: PER_KEY });
      const inbox = new StatusInbox();
      const handler = createWebhookHandler({ inbox, bfl: { secret: 'bench-secret' } });
      const hooks = createServer(async (req, res) => {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const response = await handler(
          new Request(`http://127.0.0.1${req.url}`, {
            method: 'POST',
            headers: req.headers as Record<string, string>,
            body: Buffer.concat(chunks),
          }),
        );
        res.writeHead(response.status).end(await response.text());
      });
      await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
      const hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/api/webhooks/bfl`;
      const provider = createBflProvider({
        apiKeys: Array.from({ length: KEYS }, (_, i) => `bench-key-${i}`),
        concurrencyPerKey: PER_KEY,
        region: fake.url,
        ...(mode === 'webhooks' ? { webhook: { url: hookUrl, secret: 'bench-secret', inbox } } : {}),
      });
      const engine = createEngine({
        storage: createMemoryStorage(),
        provider,
        imageStore: createMemoryImageStore(),
        concurrency: KEYS * PER_KEY * 2,
        // 60 tasks per user are queued at once, on purpose: the tasks-waiting ceiling is off.
        maxTasksWaitingPerUser: Number.POSITIVE_INFINITY,
        pollPolicy:
          mode === 'webhooks'
            ? { pollIntervalMs: Number(process.env.HOOK_POLL_MS ?? 2000), maxPolls: 3000 }
            : { pollIntervalMs: POLL_MS, maxPolls: 2000 },
        logger: { warn() {}, error() {} },
      });
      await warmUp(provider);
      let failed = 0;
      engine.events.on('task:failed', () => failed++);
      await engine.start();
      const users = 8;
      for (let u = 0; u < users; u++) await engine.credits.grant(`user${u}`, TASKS + 10, { idempotencyKey: 'bench' });
      // One untimed batch through the engine itself, so its own code paths are warm too.
      await engine.batches.submit('user0', { prompt: 'warm-up', count: 10 });
      await engine.onIdle();
      const before = await fake.stats();
      const run = await timed(async () => {
        for (let b = 0; b < TASKS / 10; b++) await engine.batches.submit(`user${b % users}`, { prompt: `lighthouse ${b}`, count: 10 });
        await engine.onIdle();
      });
      await engine.stop({ graceMs: 0 });
      const after = await fake.stats();
      await fake.close();
      await new Promise((resolve) => hooks.close(resolve));
      if (failed > 0) throw new Error(`${failed} tasks failed`);
      if (after.submits - before.submits !== TASKS) throw new Error(`${after.submits - before.submits} submits for ${TASKS} tasks`);
      const ratio = Math.round((run.seconds / IDEAL_SECONDS) * 1000) / 1000;
      return {
        case: `provider-latency-${mode}`,
        tasks: TASKS,
        tasksPerSec: Math.round(TASKS / run.seconds),
        baseline: 'ideal',
        baselineTasksPerSec: Math.round(TASKS / IDEAL_SECONDS),
        ratio,
        makespanSec: Math.round(run.seconds * 100) / 100,
        idealSec: IDEAL_SECONDS,
        target: mode === 'webhooks' ? 1.02 : 1.1,
        rateLimited: after.rejected,
        maxActivePerKey: after.maxActivePerKey,
        polls: after.polls - before.polls,
        webhookFailures: after.webhookFailures,
        note: 'ratio = makespan / ideal (lower is better)',
      };
    },
  };
}

/**
 * One generation per key slot through the adapter before the clock starts, so neither lazy module
 * loading nor opening the HTTP connections (a long-running server has them open) is timed.
 */
async function warmUp(provider: ReturnType<typeof createBflProvider>): Promise<void> {
  const { runGeneration } = await import('imagegen-kit/adapter-kit');
  await Promise.all(
    Array.from({ length: KEYS * PER_KEY }, (_, i) =>
      runGeneration({
        provider,
        input: { prompt: `warm ${i}`, aspectRatio: '1:1', seed: 1, outputFormat: 'png' },
        policy: { maxPolls: 200, pollIntervalMs: POLL_MS },
        signal: AbortSignal.timeout(30_000),
      }),
    ),
  );
}

export const providerLatencyPollingCase = latencyCase('polling');
export const providerLatencyWebhooksCase = latencyCase('webhooks');
