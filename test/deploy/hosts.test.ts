/**
 * Proof on separate hosts: one API host and two worker hosts, each a network namespace joined to
 * the test's by a veth pair, each running the reference server from its own empty data directory.
 * They share nothing but the servers on the test's side of the links: PostgreSQL (ledger, batches,
 * users), Redis (queue and events only) and an S3 server (images).
 *
 * PostgreSQL: the machine's server listens on 127.0.0.1 only, so the test runs a TCP forwarder in
 * its own process, bound to the link addresses and piping to 127.0.0.1:5432 (chosen over a
 * throwaway initdb cluster: seconds faster, and it needs no PostgreSQL binaries on the PATH).
 * Redis and s3rver are started by the test, bound to the link addresses.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3TestServer } from '../image-stores/s3-test-server.js';
import { DATABASE_URL, dropSchema, postgresAvailable, uniqueSchema } from '../storage/postgres-server.js';
import { type HostProcess, startInNamespace, stopHost } from './host-process.js';
import { createNamespaceHosts, namespacesUnavailable, SUBNET } from './network-namespaces.js';
import { forwardTcp, startRedisOn } from './services.js';

const unavailable = namespacesUnavailable() ?? ((await postgresAvailable()) ? null : 'PostgreSQL does not answer on 127.0.0.1');
if (unavailable) console.warn(`\n[imagegen-kit tests] SKIPPING the separate-hosts test (test/deploy): ${unavailable}.\n`);

const API_PORT = 3000; // every host has its own network stack: no port is shared
const BATCH = ['a lighthouse', 'a fox', 'a paper boat', 'a red kite', 'a snail', 'an owl'];

type Task = { taskId?: string; task_id?: string; status: string; result?: { imageUrl?: string; image_url?: string } | null };
type Batch = { status: string; tasks: Task[] };
const taskIdOf = (t: Task) => t.taskId ?? t.task_id ?? '';
const imageUrlOf = (t: Task) => t.result?.imageUrl ?? t.result?.image_url ?? '';

describe.skipIf(unavailable !== null)('three hosts sharing nothing but PostgreSQL, Redis and S3 (network namespaces)', () => {
  const cleanups: Array<() => unknown> = [];
  const processes: HostProcess[] = [];
  const schema = uniqueSchema('hosts');
  const dataDirs = new Map<string, string>();
  let net: ReturnType<typeof createNamespaceHosts>;

  beforeAll(async () => {
    net = createNamespaceHosts(['api', 'worker-1', 'worker-2']);
    cleanups.push(() => net.remove());
    const gateways = net.hosts.map((h) => h.gateway);
    const redis = await startRedisOn(gateways);
    cleanups.push(() => redis.close());
    const postgres = await forwardTcp(gateways, { host: '127.0.0.1', port: Number(new URL(DATABASE_URL).port || 5432) });
    cleanups.push(() => postgres.close());
    cleanups.push(() => dropSchema(schema));
    const s3 = await startS3TestServer('images', gateways);
    cleanups.push(() => s3.close());

    const database = new URL(DATABASE_URL);
    for (const [i, host] of net.hosts.entries()) {
      const dataDir = mkdtempSync(join(tmpdir(), `igk-host-${host.name}-`));
      dataDirs.set(host.name, dataDir);
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      database.host = `${host.gateway}:${postgres.port}`;
      const env = {
        IMAGEGEN_PROVIDER: 'offline',
        IMAGEGEN_ROLE: host.name === 'api' ? 'api' : 'worker',
        IMAGEGEN_STORAGE: 'postgres',
        DATABASE_URL: database.href,
        IMAGEGEN_POSTGRES_SCHEMA: schema,
        REDIS_URL: `redis://${host.gateway}:${redis.port}`,
        IMAGEGEN_IMAGES: 's3',
        S3_ENDPOINT: s3.endpoints[i]!,
        S3_REGION: s3.region,
        S3_BUCKET: s3.bucket,
        S3_ACCESS_KEY_ID: s3.accessKeyId,
        S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
        S3_FORCE_PATH_STYLE: 'true',
        IMAGEGEN_DATA_DIR: dataDir,
        PORT: String(API_PORT),
        IMAGEGEN_LEASE_MS: '2000',
        IMAGEGEN_CONCURRENCY: '2',
        IMAGEGEN_SHUTDOWN_GRACE_MS: '1000',
      };
      console.log(
        `host ${host.name.padEnd(8)} namespace ${host.namespace}  address ${host.address}  data dir ${dataDir}  (reaches PostgreSQL, Redis, S3 at ${host.gateway})`,
      );
      processes.push(startInNamespace(host.namespace, env));
    }
    // Stop the hosts before the servers they use go away.
    cleanups.push(() => Promise.all(processes.map((p) => stopHost(p))));
    await Promise.all([
      processes[0]!.waitFor((l) => l.includes('reference server')),
      processes[1]!.waitFor((l) => l.includes(' ready ')),
      processes[2]!.waitFor((l) => l.includes(' ready ')),
    ]);
  }, 60_000);

  afterAll(async () => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        errors.push(error);
      }
    }
    expect(net?.leftovers() ?? []).toEqual([]);
    if (errors.length) throw new AggregateError(errors, 'teardown failed');
  }, 30_000);

  it('a batch submitted to the API host completes on the workers, one of them SIGKILLed mid-run; every task ends once, images load through signed URLs, the ledger is exact', async () => {
    const [apiHost] = net.hosts;
    const [api, victim, survivor] = processes as [HostProcess, HostProcess, HostProcess];
    expect(new Set(dataDirs.values()).size).toBe(3);
    for (const a of dataDirs.values()) for (const b of dataDirs.values()) if (a !== b) expect(b.startsWith(`${a}/`)).toBe(false);
    expect(new Set(net.hosts.map((h) => h.address)).size).toBe(3);
    for (const h of net.hosts) expect(h.address.startsWith(`${SUBNET}.`)).toBe(true);

    const base = `http://${apiHost!.address}:${API_PORT}`;
    const signIn = await fetch(`${base}/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'hosts', password: 'three hosts' }),
    });
    expect(signIn.status).toBe(200);
    const { token } = (await signIn.json()) as { token: string };
    const auth = { authorization: `Bearer ${token}` };
    const submit = await fetch(`${base}/api/batch/generate`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ prompts: BATCH }),
    });
    expect(submit.status).toBe(200);
    const { batch_id: batchId } = (await submit.json()) as { batch_id: string };

    // Kill worker 1 while it runs a task of the batch (it has not completed it).
    const started = await victim.waitFor((l) => l.startsWith(`running ${batchId}:`), 20_000);
    victim.process.kill('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');
    const victimCompleted = victim.lines.filter((l) => l.startsWith('completed ')).map((l) => l.slice('completed '.length));
    const interrupted = victim.lines
      .filter((l) => l.startsWith('running '))
      .map((l) => l.slice('running '.length))
      .filter((id) => !victimCompleted.includes(id));
    console.log(
      `worker-1 SIGKILLed after "${started}"; it had completed [${victimCompleted.join(', ')}], was running [${interrupted.join(', ')}]`,
    );
    expect(interrupted.length).toBeGreaterThan(0);

    let batch: Batch;
    const deadline = Date.now() + 40_000;
    for (;;) {
      batch = (await (await fetch(`${base}/api/batch/status?batch_id=${encodeURIComponent(batchId)}`, { headers: auth })).json()) as Batch;
      if (batch.status === 'completed' || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(batch.status).toBe('completed');
    expect(batch.tasks).toHaveLength(BATCH.length);
    for (const task of batch.tasks) expect(['completed', 'failed']).toContain(task.status);
    const completed = batch.tasks.filter((t) => t.status === 'completed');

    // Every task ended once: no worker completed a task twice or one another worker completed.
    const survivorCompleted = survivor.lines.filter((l) => l.startsWith('completed ')).map((l) => l.slice('completed '.length));
    const byWorkers = [...victimCompleted, ...survivorCompleted];
    expect(new Set(byWorkers).size).toBe(byWorkers.length);
    for (const id of byWorkers) expect(completed.map(taskIdOf)).toContain(id);
    // The interrupted tasks were taken over by the surviving worker (or failed).
    for (const id of interrupted) {
      const task = batch.tasks.find((t) => taskIdOf(t) === id)!;
      if (task.status === 'completed') expect(survivorCompleted).toContain(id);
    }
    expect(api.lines.some((l) => l.startsWith('completed '))).toBe(false);

    // The images load from S3 through their presigned URLs, with no Authorization header.
    const urls = completed.map(imageUrlOf);
    expect(new Set(urls).size).toBe(completed.length);
    for (const url of urls) {
      expect(url).toContain('X-Amz-Signature=');
      const image = await fetch(url);
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe('image/png');
      expect(
        Buffer.from(await image.arrayBuffer())
          .subarray(1, 4)
          .toString(),
      ).toBe('PNG');
    }
    if (urls[0]) {
      const tampered = urls[0].replace(/X-Amz-Signature=([0-9a-f])/, (_, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`);
      expect((await fetch(tampered)).status).toBe(403);
      expect((await fetch(urls[0].split('?')[0]!)).status).toBe(403);
    }

    // The ledger is exact: through the API and in the database.
    const credits = (await (await fetch(`${base}/api/credits`, { headers: auth })).json()) as { balance: number };
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ kind: string; total: string }>(
        `SELECT kind, sum(amount)::text AS total FROM "${schema}".ledger WHERE username = 'hosts' GROUP BY kind`,
      );
      const sum = (kind: string) => Number(rows.find((r) => r.kind === kind)?.total ?? 0);
      const account = await client.query<{ balance: string }>(`SELECT balance::text FROM "${schema}".accounts WHERE username = 'hosts'`);
      const users = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${schema}".server_users`);
      const failed = batch.tasks.length - completed.length;
      console.log(
        `ledger: grants ${sum('grant')}, charges ${-sum('charge')}, refunds ${sum('refund')}, balance ${credits.balance}; ${completed.length} completed, ${failed} failed`,
      );
      expect(sum('grant')).toBe(20);
      expect(-sum('charge')).toBe(BATCH.length);
      expect(sum('refund')).toBe(failed);
      expect(credits.balance).toBe(sum('grant') + sum('charge') + sum('refund'));
      expect(credits.balance).toBe(20 - completed.length);
      expect(Number(account.rows[0]!.balance)).toBe(credits.balance);
      expect(users.rows[0]!.n).toBe('1'); // users live in the shared database
    } finally {
      await client.end();
    }

    // Nothing was kept on any host: its data dir is still empty.
    for (const [name, dir] of dataDirs) expect(readdirSync(dir), `data dir of ${name}`).toEqual([]);

    await Promise.all([stopHost(api), stopHost(survivor)]);
    expect([await api.exited, await survivor.exited]).toEqual([0, 0]);
  }, 60_000);
});
