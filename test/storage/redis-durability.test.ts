import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createRedisStorage, readRedisDurability } from '../../src/adapters/storage/redis/index.js';
import type { Logger } from '../../src/core/options.js';
import type { StorageAdapter } from '../../src/core/ports/storage-adapter.js';

/**
 * A Redis of this test's own, with AOF and `appendfsync always`, killed with SIGKILL while charges
 * are in flight and restarted on the same directory: everything it acknowledged is still there.
 */
const haveRedisServer = spawnSync('redis-server', ['--version']).status === 0;
if (!haveRedisServer) console.warn('\n[imagegen-kit tests] SKIPPING the Redis durability test: no redis-server on PATH.\n');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startRedis(dir: string, port: number, appendonly = 'yes', appendfsync = 'always'): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', appendonly, '--appendfsync', appendfsync, '--save', ''],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100; i++) {
    const ping = spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' });
    if (ping.stdout?.trim() === 'PONG') {
      // A restarted server answers LOADING until it has replayed the AOF.
      const info = spawnSync('redis-cli', ['-p', String(port), 'info', 'persistence'], { encoding: 'utf8' }).stdout ?? '';
      if (info.includes('loading:0')) return child;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not start on port ${port}`);
}

/** Rejects with the step named when `promise` takes longer than `ms` (a hang fails fast, saying where). */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A storage on a client of the test's own, so a dead server can be let go of at once (disconnect). */
function open(port: number, logger: Logger | null = null): { storage: StorageAdapter; client: Redis } {
  const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  return { storage: createRedisStorage({ client }, { prefix: 'dur:', logger }), client };
}

describe.runIf(haveRedisServer)('the Redis adapter reads the server persistence when it connects', () => {
  it.each([
    ['no', 'everysec', 'everything since the last snapshot'],
    ['yes', 'everysec', 'about a second'],
    ['yes', 'always', 'nothing'],
  ])('appendonly %s, appendfsync %s: a restart may lose %s', async (appendonly, appendfsync, lost) => {
    const dir = mkdtempSync(join(tmpdir(), 'igk-aof-cfg-'));
    const port = await freePort();
    const server = await startRedis(dir, port, appendonly, appendfsync);
    const warnings: string[] = [];
    const { storage, client: owned } = open(port, { warn: (message) => warnings.push(message), error: () => {} });
    try {
      await storage.getBalance('nobody');
      const client = new Redis({ host: '127.0.0.1', port });
      expect(await readRedisDurability(client)).toMatchObject({ appendonly, appendfsync });
      client.disconnect();
      await new Promise((r) => setTimeout(r, 50));
      if (lost === 'nothing') expect(warnings).toEqual([]);
      else expect(warnings).toEqual([expect.stringContaining(`may lose ${lost}`)]);
    } finally {
      owned.disconnect();
      server.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.runIf(haveRedisServer)('Redis storage with AOF (appendfsync always), SIGKILLed mid-run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'igk-aof-'));
  let server: ChildProcess | undefined;
  afterAll(() => {
    server?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged balance, batch and journal entry across the crash', async () => {
    const port = await freePort();
    server = await startRedis(dir, port);
    let { storage, client } = open(port);
    const users = ['ann', 'bob', 'cyd'];
    const now = 1_700_000_000_000;
    for (const user of users) {
      await storage.applyLedgerEntry({ username: user, kind: 'grant', amount: 1000, idempotencyKey: `grant:${user}` }, now);
    }

    // Charges and batch creations in flight from all users while the server is killed.
    const acknowledged: Array<{ user: string; key: string; batchId?: string }> = [];
    let stop = false;
    const worker = async (user: string) => {
      for (let n = 0; !stop; n++) {
        const key = `c:${user}:${n}`;
        try {
          if (n % 5 === 0) {
            const batchId = `batch:${user}:${now + n}`;
            await storage.createBatch(
              {
                batchId,
                username: user,
                tasks: [
                  {
                    taskId: `${batchId}:0`,
                    prompt: 'p',
                    params: { aspect_ratio: '1:1', seed: n, output_format: 'png' },
                    status: 'pending',
                    progress: 0,
                    result: null,
                    error: null,
                    createdAt: now + n,
                    attempts: 0,
                    startedAt: null,
                    completedAt: null,
                    providerRequestId: null,
                    leaseExpiresAt: null,
                  },
                ],
                totalTasks: 1,
                completedTasks: 0,
                failedTasks: 0,
                cancelledTasks: 0,
                status: 'pending',
                createdAt: now + n,
                updatedAt: now + n,
              },
              { username: user, kind: 'charge', amount: -1, idempotencyKey: key, reference: batchId },
              now + n,
            );
            acknowledged.push({ user, key, batchId });
          } else {
            await storage.applyLedgerEntry({ username: user, kind: 'charge', amount: -1, idempotencyKey: key }, now + n);
            acknowledged.push({ user, key });
          }
        } catch {
          return; // the server is gone
        }
      }
    };
    let ended = 0;
    const running = users.map((user) => worker(user).finally(() => ended++));
    // Each write waits for an fsync: on a busy disk, kill after 60 writes or 15 s, whichever comes first.
    const deadline = Date.now() + 15_000;
    while (acknowledged.length < 60 && ended < users.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(acknowledged.length, 'writes acknowledged before the kill').toBeGreaterThanOrEqual(5);
    const killed = server;
    const exited = new Promise<void>((resolve) => (killed.exitCode !== null ? resolve() : killed.once('exit', () => resolve())));
    killed.kill('SIGKILL');
    stop = true;
    // Let go of the dead server at once: a command in flight then fails instead of waiting on it.
    client.disconnect();
    await within(5_000, 'the writers to stop', Promise.all(running));
    await within(5_000, 'redis-server to exit', exited);

    server = await startRedis(dir, port);
    ({ storage, client } = open(port));
    try {
      for (const user of users) {
        const entries = [];
        let cursor: string | null = null;
        do {
          const page = await storage.listLedger(user, { limit: 100, cursor });
          entries.push(...page.items);
          cursor = page.nextCursor;
        } while (cursor);
        const keys = new Set(entries.map((e) => e.idempotencyKey));
        const mine = acknowledged.filter((a) => a.user === user);
        // Every acknowledged write survived; a write in flight at the kill may or may not have.
        for (const a of mine) expect(keys.has(a.key), `${a.key} was acknowledged`).toBe(true);
        expect(keys.has(`grant:${user}`)).toBe(true);
        // The balance is exactly what the surviving journal says.
        const sum = entries.reduce((total, e) => total + e.amount, 0);
        expect(await storage.getBalance(user)).toBe(sum);
        expect(sum).toBeLessThanOrEqual(1000 - mine.length);
        for (const a of mine.filter((m) => m.batchId)) {
          const batch = await storage.getBatch(a.batchId!);
          expect(batch?.tasks).toHaveLength(1);
        }
      }
      expect(acknowledged.length).toBeGreaterThanOrEqual(5);
    } finally {
      client.disconnect();
    }
  }, 120_000);
});
