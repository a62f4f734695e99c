import { Redis } from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StorageAdapter } from '../../src/core/ports/storage-adapter.js';
import { claimPending, grant, journalSum, seededBatch, tick } from '../../src/adapter-kit/index.js';
import { raceChildren } from './children.js';
import { openStorage, type StorageKind } from './processes/open-storage.js';
import { dropSchema, postgresAvailable, uniqueSchema } from './postgres-server.js';
import { deleteKeys, REDIS_URL, redisAvailable, uniquePrefix } from './redis-server.js';

const redisUp = await redisAvailable();
const postgresUp = await postgresAvailable();
const schema = uniqueSchema('race');
const dir = mkdtempSync(join(tmpdir(), 'igk-race-'));
const redis = redisUp ? new Redis(REDIS_URL) : null;
const prefix = uniquePrefix('race');
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (redis) {
    await deleteKeys(redis, prefix);
    redis.disconnect();
  }
  if (postgresUp) await dropSchema(schema);
});

function raceSuite(kind: StorageKind, target: string): void {
  describe(`${kind}, shared by several OS processes`, () => {
    let storage: StorageAdapter | undefined;
    const open = async () => (storage ??= await openStorage(kind, target));
    afterAll(async () => {
      await storage?.close();
    });

    it('4 processes × 250 concurrent 1-credit charges against 500: exactly 500 succeed, balance 0, journal sums, no SQLITE_BUSY', async () => {
      const s = await open();
      const user = `racer${process.pid}${kind}`;
      await s.applyLedgerEntry(grant(user, 500, 'g'), tick());
      const results = await raceChildren<{ ok: number; codes: Record<string, number> }>(
        [0, 1, 2, 3].map((p) => [kind, target, 'charge', user, '250', `p${p}`]),
      );
      const codes: Record<string, number> = {};
      for (const r of results) for (const [code, count] of Object.entries(r.codes)) codes[code] = (codes[code] ?? 0) + count;
      expect(codes).toEqual({ insufficient_credits: 500 });
      expect(results.reduce((sum, r) => sum + r.ok, 0)).toBe(500);
      expect(await s.getBalance(user)).toBe(0);
      expect(await journalSum(s, user)).toEqual({ sum: 0, count: 501 });
    }, 120_000);

    it('4 processes × 20 concurrent 1-task batches of one user against a ceiling of 30 waiting: exactly 30 created and charged', async () => {
      const s = await open();
      const user = `queuer${process.pid}${kind}`;
      await s.applyLedgerEntry(grant(user, 80, 'g'), tick());
      const results = await raceChildren<{ ok: number; codes: Record<string, number> }>(
        [0, 1, 2, 3].map((p) => [kind, target, 'batches', user, '20', String(p), '30']),
      );
      const codes: Record<string, number> = {};
      for (const r of results) for (const [code, count] of Object.entries(r.codes)) codes[code] = (codes[code] ?? 0) + count;
      expect(codes).toEqual({ rate_limited: 50 });
      expect(results.reduce((sum, r) => sum + r.ok, 0)).toBe(30);
      expect(await s.getBalance(user)).toBe(50);
      expect((await s.listBatches(user, { limit: 100 })).items).toHaveLength(30);
    }, 120_000);

    it('two processes completing the same task: one result, counters bumped once', async () => {
      const s = await open();
      const batch = await seededBatch(s, `twin${process.pid}${kind}`, ['a', 'b']);
      const task = await claimPending(s, batch.batchId, 0);
      const results = await raceChildren<{ won: boolean }>(
        ['left', 'right'].map((label) => [kind, target, 'complete', batch.batchId, '0', String(task.attempts), label]),
      );
      expect(results.filter((r) => r.won)).toHaveLength(1);
      const stored = await s.getBatch(batch.batchId);
      expect(stored).toMatchObject({ completedTasks: 1, failedTasks: 0, status: 'processing' });
      const winner = results.findIndex((r) => r.won) === 0 ? 'left' : 'right';
      expect(stored!.tasks[0]!.result).toEqual({ imageUrl: `/img/${winner}.png`, requestId: winner });
    }, 120_000);
  });
}

raceSuite('sqlite', join(dir, 'race.db'));
describe.runIf(redisUp)('redis', () => raceSuite('redis', prefix));
describe.runIf(postgresUp)('postgres', () => raceSuite('postgres', schema));
