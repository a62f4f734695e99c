import { validate } from '@readme/openapi-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { createAdminHandler, type AdminAuditEntry } from '../../src/adapters/http/index.js';
import { adminRouteTable } from '../../src/adapters/http/admin/routes/index.js';
import { createMemoryStorage } from '../../src/adapters/storage/memory/index.js';
import type { StorageAdapter } from '../../src/core/ports/storage-adapter.js';
import { createTestApp } from './app.js';

let listLedgerCalls = 0;
const memory = createMemoryStorage();
const storage: StorageAdapter = {
  ...memory,
  listLedger: (username, page) => {
    listLedgerCalls++;
    return memory.listLedger(username, page);
  },
};
const app = await createTestApp({ start: false, engine: { storage } });
afterAll(() => app.close());
let clock = Date.now();
const audit: AdminAuditEntry[] = [];
const admin = createAdminHandler({
  engine: app.engine,
  authorize: (request) => (request.headers.get('authorization') === 'Bearer root-token' ? 'root' : null),
  audit: (entry) => audit.push(entry),
  now: () => clock,
  onError: (error) => {
    throw error;
  },
});

function call(method: string, path: string, body?: unknown, token: string | null = 'root-token') {
  return admin(
    new Request(`http://x/admin/api${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

describe('admin handler', () => {
  it('answers 404 to a caller who is not an admin on every admin route, and writes nothing', async () => {
    for (const route of adminRouteTable) {
      const path = route.path;
      const body = route.method === 'POST' ? { username: 'x', amount: 5, reason: 'r', batch_id: 'b', task_index: 0 } : undefined;
      for (const token of [null, 'user-token']) {
        const answer = await call(route.method, `${path}?username=x`, body, token);
        expect(answer.status, `${route.method} ${path}`).toBe(404);
        expect(await answer.json()).toMatchObject({ code: 'not_found' });
      }
      // A wrong method is not seen to exist either (no 405 that would reveal the route).
      expect((await call(route.method === 'GET' ? 'POST' : 'GET', path, undefined, null)).status).toBe(404);
    }
    expect(await app.engine.credits.balance('x')).toBe(0);
    expect(audit).toEqual([]);
  });

  it('grants and adjusts with a reason; the journal and the action log name the admin; a key applies once', async () => {
    const granted = await call('POST', '/credits/grant', {
      username: 'carol',
      amount: 10,
      reason: 'refund for outage',
      idempotency_key: 'g1',
    });
    expect(granted.status).toBe(200);
    expect(await granted.json()).toMatchObject({
      balance: 10,
      replayed: false,
      entry: { kind: 'grant', amount: 10, reason: 'admin:root: refund for outage' },
    });
    expect(
      await (await call('POST', '/credits/grant', { username: 'carol', amount: 10, reason: 'again', idempotency_key: 'g1' })).json(),
    ).toMatchObject({
      replayed: true,
      balance: 10,
    });
    const adjusted = await call('POST', '/credits/adjust', { username: 'carol', amount: -4, reason: 'abuse' });
    expect(await adjusted.json()).toMatchObject({ balance: 6, entry: { kind: 'charge', amount: -4, reason: 'admin:root: abuse' } });
    const short = await call('POST', '/credits/adjust', { username: 'carol', amount: -100, reason: 'too much' });
    expect(short.status).toBe(402);
    expect(await app.engine.credits.balance('carol')).toBe(6);
    expect(audit.filter((a) => a.action.startsWith('credits.')).map((a) => [a.admin, a.action, a.details.amount])).toEqual([
      ['root', 'credits.grant', 10],
      ['root', 'credits.grant', 10],
      ['root', 'credits.adjust', -4],
    ]);
  });

  it('bad input is a 400 naming the field, and nothing is journaled', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['/credits/grant', { username: 'dan', amount: 0, reason: 'x' }, 'amount'],
      ['/credits/grant', { username: 'dan', amount: 1.5, reason: 'x' }, 'amount'],
      ['/credits/grant', { username: 'dan', amount: 5 }, 'reason'],
      ['/credits/grant', { username: 'bad:name', amount: 5, reason: 'x' }, 'username'],
      ['/credits/adjust', { username: 'dan', amount: 0, reason: 'x' }, 'amount'],
      ['/credits/grant', 'not json', 'body'],
      ['/tasks/requeue', { batch_id: 'b', task_index: -1 }, 'task_index'],
    ];
    for (const [path, body, field] of cases) {
      const answer = await call('POST', path, body);
      expect(answer.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(await answer.json()).toMatchObject({ code: 'validation', field });
    }
    expect((await call('GET', '/ledger.csv?username=bad:name')).status).toBe(400);
    expect((await app.engine.credits.history('dan')).items).toEqual([]);
  });

  it('exports a long journal as CSV and as JSON lines, one page of the journal per chunk read', async () => {
    for (let i = 0; i < 1000; i++) {
      await app.engine.credits.grant('erin', 1, {
        idempotencyKey: `k${i}`,
        reason: i === 7 ? 'says "hi", then\nbye' : i === 8 ? '=HYPERLINK("x")' : null,
      });
    }
    listLedgerCalls = 0;
    const answer = await call('GET', '/ledger.csv?username=erin');
    expect(answer.headers.get('content-type')).toMatch(/^text\/csv/);
    const reader = answer.body!.getReader();
    const first = await reader.read();
    expect(listLedgerCalls).toBeLessThanOrEqual(2);
    const decoder = new TextDecoder();
    let text = decoder.decode(first.value, { stream: true });
    let chunks = 1;
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      text += decoder.decode(r.value, { stream: true });
      chunks++;
    }
    expect(listLedgerCalls).toBe(10);
    expect(chunks).toBe(10);
    const lines = text.split('\r\n');
    expect(lines[0]).toBe('seq,created_at,kind,amount,balance_after,idempotency_key,reference,reason');
    expect(lines.at(-1)).toBe('');
    expect(text).toContain(',k7,,"says ""hi"", then\nbye"\r\n');
    expect(text).toContain(`,k8,,"'=HYPERLINK(""x"")"\r\n`);
    expect(lines[1]).toMatch(/^1000,\d{4}-\d\d-\d\dT[^,]+Z,grant,1,1000,k999,,$/);

    listLedgerCalls = 0;
    const jsonl = await (await call('GET', '/ledger.jsonl?username=erin')).text();
    const entries = jsonl
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(entries).toHaveLength(1000);
    expect(entries[0]).toMatchObject({ seq: 1000, idempotencyKey: 'k999', balanceAfter: 1000 });
    expect(entries.find((e) => e.idempotencyKey === 'k7').reason).toBe('says "hi", then\nbye');
    expect(listLedgerCalls).toBe(10);
    expect(audit.filter((a) => a.action === 'ledger.export').map((a) => a.details)).toEqual([
      { username: 'erin', format: 'csv' },
      { username: 'erin', format: 'jsonl' },
    ]);
  });

  it('lists failed and stuck tasks across users, and requeues each kind', async () => {
    await app.grant('fay', 3);
    await app.grant('gus', 3);
    const fay = (await app.engine.batches.submit('fay', { prompt: 'a', count: 2 })).batch;
    const gus = (await app.engine.batches.submit('gus', { prompt: 'b', count: 1 })).batch;
    // Fay's task 0 fails; task 1 is claimed by a worker that died (its lease ran out). Gus's waits.
    const t = Date.now();
    await storage.claimTask(fay.batchId, 0, { expect: { status: 'pending' }, now: t, leaseExpiresAt: t + 10, progress: 10 });
    await storage.failTask(fay.batchId, 0, 1, 'provider said no', t + 1);
    await storage.claimTask(fay.batchId, 1, { expect: { status: 'pending' }, now: t, leaseExpiresAt: t + 10, progress: 10 });

    const failed = await (await call('GET', '/tasks/failed?limit=10')).json();
    expect(failed.tasks).toEqual([
      { batch_id: fay.batchId, username: 'fay', task_index: 0, attempts: 1, error: 'provider said no', failed_at: t + 1 },
    ]);
    clock = t + 5;
    const early = await (await call('GET', '/tasks/stuck?pending_older_than_ms=60000')).json();
    expect(early.tasks).toEqual([]);
    clock = t + 120_000;
    const stuck = await (await call('GET', '/tasks/stuck?pending_older_than_ms=60000')).json();
    expect(stuck.tasks.map((s: { username: string; reason: string }) => [s.username, s.reason])).toEqual([
      ['fay', 'lease_expired'],
      ['gus', 'pending_too_long'],
    ]);
    expect((await call('GET', '/tasks/stuck?limit=0')).status).toBe(400);

    // A failed task is retried at no charge, journaled with the admin's name; twice is once.
    const balance = await app.engine.credits.balance('fay');
    const retried = await call('POST', '/tasks/requeue', { batch_id: fay.batchId, task_index: 0 });
    expect(await retried.json()).toMatchObject({ outcome: 'retried', status: 'pending' });
    expect(await app.engine.credits.balance('fay')).toBe(balance);
    expect((await app.engine.credits.history('fay')).items[0]).toMatchObject({
      kind: 'charge',
      amount: 0,
      reason: 'admin:root: requeue of a failed task',
    });
    expect((await call('POST', '/tasks/requeue', { batch_id: fay.batchId, task_index: 0 })).status).toBe(200);
    expect((await app.engine.credits.history('fay')).items.filter((e) => e.amount === 0)).toHaveLength(1);

    // The stuck processing one is taken over, the pending one queued: once workers run, all end.
    expect(await (await call('POST', '/tasks/requeue', { batch_id: fay.batchId, task_index: 1 })).json()).toMatchObject({
      outcome: 'taken_over',
    });
    expect(await (await call('POST', '/tasks/requeue', { batch_id: gus.batchId, task_index: 0 })).json()).toMatchObject({
      outcome: 'queued',
    });
    await app.engine.startWorkers({ takeOverProcessing: false });
    // Wait for the batches themselves: a task handed back as busy is retried later, after onIdle.
    const signal = AbortSignal.timeout(20_000);
    await Promise.all([
      app.engine.batches.waitFor('fay', fay.batchId, { signal, recheckMs: 50 }),
      app.engine.batches.waitFor('gus', gus.batchId, { signal, recheckMs: 50 }),
    ]);
    expect((await storage.getBatch(fay.batchId))!.tasks.map((task) => task.status)).toEqual(['completed', 'completed']);
    expect((await storage.getTask(fay.batchId, 1))!.attempts).toBe(2);
    expect((await storage.getBatch(gus.batchId))!.status).toBe('completed');
    const ended = await call('POST', '/tasks/requeue', { batch_id: gus.batchId, task_index: 0 });
    expect(ended.status).toBe(409);
    expect((await call('POST', '/tasks/requeue', { batch_id: 'batch:nobody:1', task_index: 0 })).status).toBe(404);
    // The second requeue of task 0 found it pending (retried already): queued again, not charged again.
    expect(audit.filter((a) => a.action === 'tasks.requeue').map((a) => a.details.outcome)).toEqual([
      'retried',
      'queued',
      'taken_over',
      'queued',
    ]);
  });

  it('cancels through engine.batches.cancel when the engine has it, else answers 501', async () => {
    const batch = (await app.engine.batches.list('gus')).items[0]!;
    const hasCancel = typeof (app.engine.batches as unknown as { cancel?: unknown }).cancel === 'function';
    const answer = await call('POST', '/batches/cancel', { batch_id: batch.batchId });
    if (!hasCancel) {
      expect(answer.status).toBe(501);
      expect(await answer.json()).toMatchObject({ code: 'not_implemented' });
    }
    const calls: unknown[][] = [];
    const withCancel = createAdminHandler({
      engine: {
        ...app.engine,
        batches: Object.assign(Object.create(app.engine.batches), {
          cancel: async (...args: unknown[]) => (calls.push(args), { ok: true }),
        }),
      },
      authorize: () => 'root',
      audit: (entry) => audit.push(entry),
    });
    const send = (body: unknown) =>
      withCancel(
        new Request('http://x/admin/api/batches/cancel', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }),
      );
    const done = await send({ batch_id: batch.batchId, task_index: 0 });
    expect(await done.json()).toEqual({ batch_id: batch.batchId, username: 'gus', task_index: 0, result: { ok: true } });
    expect(calls).toEqual([['gus', batch.batchId, { taskIndex: 0 }]]);
    expect((await send({ batch_id: 'batch:nobody:1' })).status).toBe(404);
    expect((await send({})).status).toBe(400);
    expect(audit.at(-1)).toMatchObject({ admin: 'root', action: 'batches.cancel', details: { username: 'gus', taskIndex: 0 } });
  });

  it('serves its own OpenAPI document, which validates and lists every admin route', async () => {
    const document = await (await call('GET', '/openapi.json')).json();
    const result = await validate(structuredClone(document));
    expect(result.valid ? [] : result.errors).toEqual([]);
    for (const route of adminRouteTable) {
      const operation = document.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation, route.path).toBeDefined();
      expect(operation.responses['404']).toBeDefined();
      expect(operation.responses['401']).toBeUndefined();
    }
    expect(document.servers).toEqual([{ url: '/admin/api' }]);
  });
});
