import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getRequestListener } from '@hono/node-server';
import { createMemoryImageStore } from 'imagegen-kit/adapters/image-stores/memory';
import { createOfflineProvider } from 'imagegen-kit/adapters/providers/offline';
import { createMemoryStorage } from 'imagegen-kit/adapters/storage/memory';
import { createRequestHandler } from 'imagegen-kit/adapters/http';
import { createEngine } from 'imagegen-kit';
import type { BenchCase, BenchResult } from '../case.js';
import { heapUsedAfterGc, until } from '../measure.js';
import { OFFLINE_OPTIONS } from '../shape.js';

const CONNECTIONS = Number(process.env.BENCH_SSE_CONNECTIONS ?? 10_000);
const USERS = 100;
/** Sockets the client process opens at once (the listen backlog is 511). */
const WAVE = 250;
const CLIENTS = new URL('../processes/sse-clients.ts', import.meta.url);
const SECRET = 'bench-image-url-secret-0123456789abcdef';

/**
 * 10,000 concurrent `GET /api/batch/events` connections over real sockets on one process: the
 * library's handler on node:http (through @hono/node-server's listener, as examples/hosts/node-http.ts),
 * each stream on its own idle batch; the client sockets live in a child process. Reports the heap
 * this process holds per open connection (after a full collection, once every stream sent its
 * snapshot), beside a bare node:http server that answers each request with the same headers and
 * the same snapshot bytes and keeps the response open. ratio = bare bytes / handler bytes.
 */
export const sseConnectionsCase: BenchCase = {
  name: 'sse-connections',
  async run(): Promise<BenchResult> {
    const storage = createMemoryStorage();
    const imageStore = createMemoryImageStore();
    const provider = createOfflineProvider(OFFLINE_OPTIONS);
    const logger = { warn() {}, error() {} };
    // The bench keeps far more tasks waiting per user than the tasks-waiting ceiling allows, on purpose.
    const maxTasksWaitingPerUser = Number.POSITIVE_INFINITY;
    const engine = createEngine({ storage, provider, imageStore, logger, maxTasksWaitingPerUser });
    // Never started: its batches stay pending, so their streams stay open and idle.
    const idle = createEngine({ storage, provider, imageStore, logger, maxTasksWaitingPerUser });
    await engine.start();
    const handler = createRequestHandler({
      engine,
      authenticate: (request) => ({ username: (request.headers.get('authorization') ?? '').slice('Bearer '.length) }),
      imageUrlSecret: SECRET,
      maxEventStreamsPerUser: Number.POSITIVE_INFINITY,
    });
    for (let u = 0; u < USERS; u++) await engine.credits.grant(`sse${u}`, CONNECTIONS, { idempotencyKey: 'bench' });
    const pairs: Array<[string, string]> = [];
    for (let c = 0; c < CONNECTIONS; c++) {
      const username = `sse${c % USERS}`;
      pairs.push([username, (await idle.batches.submit(username, { prompts: ['idle'] })).batch.batchId]);
    }
    const snapshot = `event: snapshot\ndata: ${JSON.stringify(await handler(statusRequest(pairs[0]!)).then((r) => r.json()))}\n\n`;
    const dir = mkdtempSync(join(tmpdir(), 'igk-sse-'));
    try {
      const file = join(dir, 'pairs.json');
      writeFileSync(file, JSON.stringify(pairs));
      // The bare server first, on a heap with nothing of the handler's streams left to collect.
      const bare = await heapPerConnection(
        createServer((_req, res) => {
          res.writeHead(200, {
            'Content-Type': 'text/event-stream; charset=utf-8',
            'Cache-Control': 'no-store',
            Connection: 'keep-alive',
            'X-Accel-Buffering': 'no',
            'X-Content-Type-Options': 'nosniff',
          });
          res.write('retry: 3000\n\n');
          res.write(snapshot);
        }),
        file,
      );
      const listener = getRequestListener(handler);
      const ours = await heapPerConnection(
        createServer((req, res) => void listener(req, res)),
        file,
      );
      await until(async () => engine.events.listenerCount('task:progress') === 0, 50);
      return {
        case: 'sse-connections',
        tasks: CONNECTIONS,
        tasksPerSec: 0,
        baseline: 'bare node:http SSE',
        baselineTasksPerSec: 0,
        ratio: Math.round((bare.bytes / ours.bytes) * 100) / 100,
        connections: CONNECTIONS,
        heapBytesPerConnection: ours.bytes,
        bareHeapBytesPerConnection: bare.bytes,
        rssBytesPerConnection: ours.rss,
        bareRssBytesPerConnection: bare.rss,
        openSeconds: ours.seconds,
        note: 'tasks = connections; ratio = bare heap per connection / handler heap per connection',
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await engine.stop();
      await idle.stop();
    }
  },
};

function statusRequest([username, batchId]: [string, string]): Request {
  return new Request(`http://bench.local/api/batch/status?batch_id=${encodeURIComponent(batchId)}`, {
    headers: { authorization: `Bearer ${username}` },
  });
}

/** Listens, has the client process open every connection, and measures this process's heap and RSS per connection. */
async function heapPerConnection(server: Server, file: string): Promise<{ bytes: number; rss: number; seconds: number }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 511, resolve));
  const { port } = server.address() as AddressInfo;
  const heapBefore = heapUsedAfterGc();
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(CLIENTS), String(port), file, String(WAVE)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('ready\n')) resolve();
      });
      void exited.then((code) => reject(new Error(`the SSE client process exited (${code}) before every connection was open`)));
    });
    const seconds = Math.round((performance.now() - started) / 10) / 100;
    const bytes = Math.round((heapUsedAfterGc() - heapBefore) / CONNECTIONS);
    const rss = Math.round((process.memoryUsage().rss - rssBefore) / CONNECTIONS);
    return { bytes, rss, seconds };
  } finally {
    child.kill('SIGTERM');
    await exited;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
