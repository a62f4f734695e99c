import { ConflictError, InsufficientCreditsError } from '../../../core/errors/index.js';
import { charge, grant, journalSum, makeBatch, seededBatch, tick, type ConformanceContext } from '../fixtures.js';
import type { ConformanceTestApi } from '../test-api.js';

export function batchesSuite(t: ConformanceTestApi, ctx: () => ConformanceContext): void {
  const { describe, it, expect } = t;
  describe('batches', () => {
    it('charges and creates a batch in one step, linking the charge to the batch', async () => {
      const { storage, user } = ctx();
      const u = user();
      await storage.applyLedgerEntry(grant(u, 5, 'g'), tick());
      const ts = tick();
      const batch = makeBatch(u, ts);
      const created = await storage.createBatch(batch, charge(u, 3, 'buy'), ts);
      expect(created).toMatchObject({ balance: 2, replayed: false, entry: { amount: -3, reference: batch.batchId } });
      expect(created.batch).toEqual(batch);
      expect(await storage.getBatch(batch.batchId)).toEqual(batch);
      expect(await storage.getTask(batch.batchId, 2)).toEqual(batch.tasks[2]);
    });

    it('creates no batch and charges nothing when credits are short', async () => {
      const { storage, user } = ctx();
      const u = user();
      await storage.applyLedgerEntry(grant(u, 2, 'g'), tick());
      const ts = tick();
      const batch = makeBatch(u, ts);
      const error = await storage.createBatch(batch, charge(u, 3, 'buy'), ts).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InsufficientCreditsError);
      expect(await storage.getBatch(batch.batchId)).toBeNull();
      expect(await storage.getBalance(u)).toBe(2);
      expect((await storage.listBatches(u, {})).items).toEqual([]);
      expect((await storage.listOpenTasks(10_000)).some((t) => t.batchId === batch.batchId)).toBe(false);
    });

    it('replays a charge key: no second batch, no second charge, the first batch back', async () => {
      const { storage, user } = ctx();
      const u = user();
      await storage.applyLedgerEntry(grant(u, 10, 'g'), tick());
      const first = makeBatch(u, tick());
      await storage.createBatch(first, charge(u, 3, 'same'), tick());
      const second = makeBatch(u, tick());
      const replay = await storage.createBatch(second, charge(u, 3, 'same'), tick());
      expect(replay.replayed).toBe(true);
      expect(replay.batch.batchId).toBe(first.batchId);
      expect(replay.balance).toBe(7);
      expect(replay.batch).toEqual(await storage.getBatch(first.batchId));
      expect(await storage.getBatch(second.batchId)).toBeNull();
      expect(await storage.getBalance(u)).toBe(7);
    });

    it('refuses an id that exists, charging nothing', async () => {
      const { storage, user } = ctx();
      const u = user();
      await storage.applyLedgerEntry(grant(u, 10, 'g'), tick());
      const ts = tick();
      await storage.createBatch(makeBatch(u, ts), charge(u, 3, 'one'), ts);
      const error = await storage.createBatch(makeBatch(u, ts, ['x']), charge(u, 1, 'two'), ts).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect(error).toMatchObject({ reason: 'id_taken' });
      expect(await storage.getBalance(u)).toBe(7);
    });

    it('lists a user’s batches newest first as summaries, paged with a cursor', async () => {
      const { storage, user } = ctx();
      const u = user();
      const other = user();
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) ids.push((await seededBatch(storage, u)).batchId);
      await seededBatch(storage, other);
      const first = await storage.listBatches(u, { limit: 3 });
      expect(first.items.map((b) => b.batchId)).toEqual([ids[6], ids[5], ids[4]]);
      expect(Object.keys(first.items[0]!).sort()).toEqual(
        ['batchId', 'cancelledTasks', 'completedTasks', 'createdAt', 'failedTasks', 'status', 'totalTasks', 'updatedAt'].sort(),
      );
      const second = await storage.listBatches(u, { limit: 3, cursor: first.nextCursor });
      expect(second.items.map((b) => b.batchId)).toEqual([ids[3], ids[2], ids[1]]);
      const third = await storage.listBatches(u, { limit: 3, cursor: second.nextCursor });
      expect(third.items.map((b) => b.batchId)).toEqual([ids[0]]);
      expect(third.nextCursor).toBeNull();
    });

    it('answers null for unknown batches and tasks', async () => {
      const { storage, user } = ctx();
      const u = user();
      expect(await storage.getBatch(`batch:${u}:1`)).toBeNull();
      const batch = await seededBatch(storage, u);
      expect(await storage.getTask(batch.batchId, 3)).toBeNull();
    });

    it('lists open tasks for recovery', async () => {
      const { storage, user } = ctx();
      const u = user();
      const batch = await seededBatch(storage, u, ['a', 'b']);
      const open = (await storage.listOpenTasks(10_000)).filter((t) => t.batchId === batch.batchId);
      expect(open).toEqual([
        { batchId: batch.batchId, username: u, index: 0, status: 'pending', attempts: 0, leaseExpiresAt: null },
        { batchId: batch.batchId, username: u, index: 1, status: 'pending', attempts: 0, leaseExpiresAt: null },
      ]);
      expect((await journalSum(storage, u)).sum).toBe(0);
    });
  });
}
