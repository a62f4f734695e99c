import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServerApp } from '../../examples/server/app.js';
import { createJsonLogger } from '../../examples/server/json-logger.js';
import { startHostileBfl } from '../support/hostile-bfl-server.js';

// Planted secrets: long and unlike anything else in a log line.
const BAD_KEY = 'bfl-planted-rejected-key-7f3a9c01d2e4b5';
const GOOD_KEY = 'bfl-planted-working-key-0c8e1b7d6a5f42';
const FORGED_BEARER = 'forged-bearer-token-5d1c9e7a3b2f8046aa';

const ENV = ['BFL_API_KEYS', 'BFL_REGION', 'IMAGEGEN_PROVIDER', 'IMAGEGEN_ADMINS'] as const;
const saved = Object.fromEntries(ENV.map((name) => [name, process.env[name]]));
let dir: string;
let bfl: Awaited<ReturnType<typeof startHostileBfl>>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'igk-logs-'));
  bfl = await startHostileBfl({ rejectKey: BAD_KEY });
  // The server picks the provider from the environment, as in production: BFL with two keys,
  // the first rejected (401), on a local server in BFL's shape.
  process.env.BFL_API_KEYS = `${BAD_KEY},${GOOD_KEY}`;
  process.env.BFL_REGION = bfl.url;
  process.env.IMAGEGEN_PROVIDER = 'bfl';
  delete process.env.IMAGEGEN_ADMINS;
});
afterAll(async () => {
  for (const name of ENV) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  await bfl.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('reference server logs: JSON lines with ids, no secrets', () => {
  it('a run with a rejected key, a provider 500 quoting the key and a forged bearer token logs neither key nor any token', async () => {
    const lines: string[] = [];
    // Whatever reaches the console too (a stray console.warn of a library).
    const consoleSpies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((method) =>
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a, Object.getOwnPropertyNames(a ?? {})))).join(' '));
      }),
    );
    const server = await createServerApp({
      dataDir: join(dir, 'data'),
      startingCredits: 10,
      logger: createJsonLogger({ level: 'debug', write: (line) => lines.push(line) }),
    });
    let token = '';
    try {
      expect(server.providerName).toBe('bfl');
      const signedIn = await server.app.request('/auth/sign-in', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'logan', password: 'a good password' }),
      });
      token = ((await signedIn.json()) as { token: string }).token;
      expect(token.length).toBeGreaterThan(16);
      const api = (path: string, init: RequestInit = {}, bearer = token) =>
        server.app.request(path, {
          ...init,
          headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', ...init.headers },
        });

      const forged = await api('/api/credits', {}, FORGED_BEARER);
      expect(forged.status).toBe(401);
      expect(forged.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

      const submitted = await api('/api/batch/generate', {
        method: 'POST',
        headers: { 'x-request-id': 'req-redaction-1' },
        body: JSON.stringify({ prompts: ['a calm lake', 'explode the provider'] }),
      });
      expect(submitted.status).toBe(200);
      expect(submitted.headers.get('x-request-id')).toBe('req-redaction-1');
      const { batch_id: batchId } = (await submitted.json()) as { batch_id: string };
      await server.engine.batches.waitFor('logan', batchId, { signal: AbortSignal.timeout(20_000) });
      const status = (await (await api(`/api/batch/status?batch_id=${encodeURIComponent(batchId)}`)).json()) as {
        tasks: Array<{ status: string }>;
      };
      expect(status.tasks.map((t) => t.status)).toEqual(['completed', 'failed']);

      // The keys really were used: both reached the provider, and the rejected one left rotation.
      const sentKeys = new Set(bfl.seen.map((h) => h['x-key']));
      expect(sentKeys.has(BAD_KEY) && sentKeys.has(GOOD_KEY)).toBe(true);
    } finally {
      await server.close({ graceMs: 0 });
      for (const spy of consoleSpies) spy.mockRestore();
    }

    const text = lines.join('\n');
    for (const secret of [BAD_KEY, GOOD_KEY, FORGED_BEARER, token]) expect(text).not.toContain(secret);
    // …and the lines are there, JSON, with the ids the issue asks for.
    const records = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.find((r) => r.msg === 'batch submitted')).toMatchObject({ requestId: 'req-redaction-1', user: 'logan', tasks: 2 });
    expect(records.find((r) => r.msg === 'request' && r.status === 401)).toMatchObject({ method: 'GET', path: '/api/credits' });
    expect(records.find((r) => r.msg === 'task failed')).toMatchObject({ username: 'logan', taskId: expect.stringContaining(':1') });
    expect(records.find((r) => r.msg === 'task completed')).toMatchObject({ username: 'logan', taskId: expect.stringContaining(':0') });
    // A task outlives the request that queued it: its lines do not carry that request's id.
    expect(records.find((r) => r.msg === 'task completed')?.requestId).toBeUndefined();
    expect(records.some((r) => String(r.msg).includes('taken out of rotation'))).toBe(true);
    expect(records.find((r) => r.msg === 'task run' && r.outcome === 'failed')).toMatchObject({
      level: 'debug',
      index: 1,
      username: 'logan',
    });
    expect(text).toContain('[redacted]');
  }, 60_000);
});
