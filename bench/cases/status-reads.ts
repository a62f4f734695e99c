import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { createMemoryImageStore } from 'imagegen-kit/adapters/image-stores/memory';
import { createOfflineProvider } from 'imagegen-kit/adapters/providers/offline';
import { createMemoryStorage } from 'imagegen-kit/adapters/storage/memory';
import { createRequestHandler } from 'imagegen-kit/adapters/http';
import { createEngine } from 'imagegen-kit';
import type { BenchCase, BenchResult } from '../case.js';
import { OFFLINE_OPTIONS } from '../shape.js';

const CONNECTIONS = 50;
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 8);
const ROUNDS = Number(process.env.BENCH_HTTP_ROUNDS ?? 2);
const SECRET = 'bench-image-url-secret-0123456789abcdef';
const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

/**
 * Cheap status reads: `GET /api/batch/status` of a finished 10-task batch, 50 connections, from
 * autocannon in a child process, against (1) the library's handler on node:http (through
 * @hono/node-server's listener; bearer authentication, memory storage) and (2) a bare Hono route
 * on @hono/node-server answering the same JSON bytes. Each side runs alone, after a short warm-up,
 * in ROUNDS alternating rounds; each side's best round counts.
 * ratio = handler req/s / bare req/s (goal ≥ 0.5, handler p99 ≤ 10 ms). Also measured: the same
 * poll sent with the batch's `If-None-Match` (answered 304).
 */
export const statusReadsCase: BenchCase = {
  name: 'status-reads',
  async run(): Promise<BenchResult> {
    const storage = createMemoryStorage();
    const engine = createEngine({
      storage,
      provider: createOfflineProvider(OFFLINE_OPTIONS),
      imageStore: createMemoryImageStore(),
      pollPolicy: { pollIntervalMs: 0 },
      logger: { warn() {}, error() {} },
    });
    await engine.start();
    try {
      await engine.credits.grant('reader', 10, { idempotencyKey: 'bench' });
      const { batch } = await engine.batches.submit('reader', { prompts: Array.from({ length: 10 }, (_, i) => `status ${i}`) });
      await engine.onIdle();
      const handler = createRequestHandler({
        engine,
        authenticate: (request) => (request.headers.get('authorization') === 'Bearer reader-token' ? { username: 'reader' } : null),
        imageUrlSecret: SECRET,
      });
      const path = `/api/batch/status?batch_id=${encodeURIComponent(batch.batchId)}`;
      const first = await handler(new Request(`http://bench.local${path}`, { headers: { authorization: 'Bearer reader-token' } }));
      const body = await first.text();
      const etag = first.headers.get('etag');
      if (first.status !== 200 || JSON.parse(body).completedTasks !== 10) throw new Error(`status answered ${first.status}: ${body}`);

      const ours = await serveAndLoad(createServer(getRequestListener(handler)), path, ['Authorization=Bearer reader-token']);
      const bareApp = new Hono().get('/api/batch/status', (c) =>
        c.body(body, 200, {
          'Content-Type': 'application/json; charset=utf-8',
          'X-Content-Type-Options': 'nosniff',
          'Cache-Control': 'no-store',
        }),
      );
      const bare = await serveAndLoad(createServer(getRequestListener(bareApp.fetch)), path, []);
      // The tag carries the image URLs' epoch (a minute with this store), so it is read again right
      // before the load, and the load is run once more if an epoch ended while it ran.
      const revalidate = async () => {
        const fresh = await handler(new Request(`http://bench.local${path}`, { headers: { authorization: 'Bearer reader-token' } }));
        const tag = fresh.headers.get('etag')!;
        return serveAndLoad(
          createServer(getRequestListener(handler)),
          path,
          ['Authorization=Bearer reader-token', `If-None-Match=${tag}`],
          304,
        );
      };
      const revalidated = etag ? await revalidate().catch(revalidate) : null;
      return {
        case: 'status-reads',
        tasks: ours.requests,
        tasksPerSec: ours.rps,
        baseline: 'bare hono route',
        baselineTasksPerSec: bare.rps,
        ratio: Math.round((ours.rps / bare.rps) * 100) / 100,
        p50ms: ours.p50,
        p99ms: ours.p99,
        bareP50ms: bare.p50,
        bareP99ms: bare.p99,
        notModifiedReqPerSec: revalidated?.rps ?? 0,
        notModifiedP99ms: revalidated?.p99 ?? 0,
        bodyBytes: body.length,
        connections: CONNECTIONS,
        rounds: ROUNDS,
        note: 'tasks/s here are requests/s (tasks = requests made)',
      };
    } finally {
      await engine.stop();
    }
  },
};

interface Load {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
}

async function serveAndLoad(server: Server, path: string, headers: string[], status = 200): Promise<Load> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  try {
    await autocannon(url, headers, 2, status);
    return await autocannon(url, headers, SECONDS, status);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Runs autocannon in a child process and reads its JSON summary; any answer but `status` fails the case. */
async function autocannon(url: string, headers: string[], seconds: number, status: number): Promise<Load> {
  const args = [AUTOCANNON, '-c', String(CONNECTIONS), '-d', String(seconds), '-j', ...headers.flatMap((h) => ['-H', h]), url];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.resume();
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`autocannon exited ${code}`);
  const result = JSON.parse(out) as {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number };
    errors: number;
    statusCodeStats: Record<string, { count: number }>;
  };
  const others = Object.keys(result.statusCodeStats).filter((code) => Number(code) !== status);
  if (result.errors > 0 || others.length > 0)
    throw new Error(`expected only ${status}, saw ${JSON.stringify(result.statusCodeStats)} and ${result.errors} errors`);
  return { rps: Math.round(result.requests.average), p50: result.latency.p50, p99: result.latency.p99, requests: result.requests.total };
}
