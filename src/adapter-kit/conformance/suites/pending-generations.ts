import type { PendingGeneration, StorageAdapter } from '../../../core/ports/storage-adapter.js';
import { tick, type ConformanceContext } from '../fixtures.js';
import type { ConformanceTestApi } from '../test-api.js';

/** A marker as the single-generation flow writes it. */
function marker(username: string, startedAt: number): PendingGeneration {
  const recordId = `record:${username}:${startedAt}`;
  return { recordId, username, chargeKey: `charge:${recordId}`, startedAt };
}

/** The markers among `mine` that the adapter lists (the index is global: other tests may hold some). */
async function listed(storage: StorageAdapter, mine: PendingGeneration[], before: number, limit = 1000): Promise<PendingGeneration[]> {
  const ids = new Set(mine.map((m) => m.recordId));
  return (await storage.listPendingGenerations(before, limit)).filter((p) => ids.has(p.recordId));
}

export function pendingGenerationsSuite(t: ConformanceTestApi, ctx: () => ConformanceContext): void {
  const { describe, it, expect } = t;
  describe('pending generations', () => {
    it('lists the markers it was given, oldest first, only those started before the bound', async () => {
      const { storage, user } = ctx();
      const [a, b] = [user('pa'), user('pb')];
      const t = tick();
      // Written out of order and across users: the list is ordered by start time.
      const mine = [marker(a, t + 2), marker(b, t + 1), marker(a, t + 3)];
      for (const m of mine) await storage.putPendingGeneration(m);
      expect(await listed(storage, mine, t + 4)).toEqual([mine[1], mine[0], mine[2]]);
      // Strictly before: a marker started at the bound itself is not listed.
      expect(await listed(storage, mine, t + 3)).toEqual([mine[1], mine[0]]);
      expect(await listed(storage, mine, t + 1)).toEqual([]);
      for (const m of mine) await storage.deletePendingGeneration(m.recordId);
      expect(await listed(storage, mine, t + 4)).toEqual([]);
    });

    it('returns at most `limit` markers, the oldest ones', async () => {
      const { storage, user } = ctx();
      const u = user('pl');
      // Older than every other test's markers, so the limit applies to these first.
      const mine = [3, 1, 2, 4].map((n) => marker(u, n));
      for (const m of mine) await storage.putPendingGeneration(m);
      const page = await storage.listPendingGenerations(10, 2);
      expect(page.map((p) => p.startedAt)).toEqual([1, 2]);
      expect(page[0]).toEqual(mine[1]);
      expect(await storage.listPendingGenerations(10, 0)).toEqual([]);
      for (const m of mine) await storage.deletePendingGeneration(m.recordId);
      expect(await listed(storage, mine, 10)).toEqual([]);
    });

    it('puts the same marker twice as one, and deletes an absent marker without complaint', async () => {
      const { storage, user } = ctx();
      const m = marker(user('pi'), tick());
      await storage.putPendingGeneration(m);
      await storage.putPendingGeneration(m);
      expect(await listed(storage, [m], m.startedAt + 1)).toEqual([m]);
      await storage.deletePendingGeneration(m.recordId);
      await storage.deletePendingGeneration(m.recordId);
      await storage.deletePendingGeneration(`record:${user('nobody')}:1`);
      expect(await listed(storage, [m], m.startedAt + 1)).toEqual([]);
    });

    it("deletes only the marker named, leaving the user's others", async () => {
      const { storage, user } = ctx();
      const u = user('pd');
      const t = tick();
      const [first, second] = [marker(u, t), marker(u, t + 1)];
      await storage.putPendingGeneration(first);
      await storage.putPendingGeneration(second);
      await storage.deletePendingGeneration(first.recordId);
      expect(await listed(storage, [first, second], t + 2)).toEqual([second]);
      await storage.deletePendingGeneration(second.recordId);
    });
  });
}
