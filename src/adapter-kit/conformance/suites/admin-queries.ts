import type { FailedTaskRef, StorageAdapter } from '../../../core/ports/storage-adapter.js';
import { PROGRESS } from '../../../core/policy/progress.js';
import { charge, claimPending, grant, seededBatch, tick, type ConformanceContext } from '../fixtures.js';
import type { ConformanceTestApi } from '../test-api.js';

/** Every failed task the adapter lists, page by page (`limit` a page), with the pages' cursors checked on the way. */
async function allFailed(storage: StorageAdapter, limit: number): Promise<FailedTaskRef[]> {
  const all: FailedTaskRef[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100_000; pages++) {
    const page = await storage.listFailedTasks({ limit, cursor });
    if (page.items.length > limit) throw new Error(`a page of ${page.items.length} items for limit ${limit}`);
    all.push(...page.items);
    cursor = page.nextCursor;
    if (!cursor) return all;
  }
  throw new Error('listFailedTasks never ended');
}

export function adminQueriesSuite(t: ConformanceTestApi, ctx: () => ConformanceContext): void {
  const { describe, it, expect } = t;
  describe('operator queries', () => {
    it('lists failed tasks of every user, newest failure first, each once across pages; completed, retried and stale claims are not listed', async () => {
      const { storage, user } = ctx();
      const alice = user('fa');
      const bob = user('fb');
      const a = await seededBatch(storage, alice, ['a0', 'a1', 'a2', 'a3']);
      const b = await seededBatch(storage, bob, ['b0']);
      for (const i of [0, 1, 2, 3]) await claimPending(storage, a.batchId, i);
      await claimPending(storage, b.batchId, 0);
      const t0 = tick();
      await storage.failTask(a.batchId, 0, 1, 'boom 0', t0);
      const t1 = tick();
      await storage.completeTask(a.batchId, 1, 1, { result: { imageUrl: 'x', requestId: 'r' }, progress: PROGRESS.done }, t1);
      const t2 = tick();
      await storage.failTask(b.batchId, 0, 1, 'boom b', t2);
      // Task 3 is taken over by another worker; the first worker's fail is for a stale claim and changes nothing.
      const t3 = tick();
      await storage.claimTask(a.batchId, 3, {
        expect: { status: 'processing', attempts: 1 },
        now: t3,
        leaseExpiresAt: t3 + 1000,
        progress: 10,
      });
      expect(await storage.failTask(a.batchId, 3, 1, 'stale', tick())).toBeNull();
      const t4 = tick();
      await storage.failTask(a.batchId, 2, 1, 'boom 2', t4);

      const listed = await allFailed(storage, 2);
      const keys = listed.map((f) => `${f.batchId}#${f.index}`);
      expect(new Set(keys).size).toBe(keys.length);
      for (let i = 1; i < listed.length; i++) expect(listed[i - 1]!.failedAt >= listed[i]!.failedAt).toBe(true);
      const mine = listed.filter((f) => f.username === alice || f.username === bob);
      expect(mine).toEqual([
        { batchId: a.batchId, username: alice, index: 2, attempts: 1, error: 'boom 2', failedAt: t4 },
        { batchId: b.batchId, username: bob, index: 0, attempts: 1, error: 'boom b', failedAt: t2 },
        { batchId: a.batchId, username: alice, index: 0, attempts: 1, error: 'boom 0', failedAt: t0 },
      ]);

      // A retried task leaves the list; when it fails again it is listed with its new claim.
      await storage.applyLedgerEntry(grant(alice, 1, `fa-more-${t0}`), tick());
      await storage.retryTask(a.batchId, 0, { charge: charge(alice, 1, `fa-retry-${t0}`), progress: PROGRESS.queued }, tick());
      const afterRetry = (await allFailed(storage, 100)).filter((f) => f.username === alice);
      expect(afterRetry.map((f) => f.index)).toEqual([2]);
      await claimPending(storage, a.batchId, 0);
      const t5 = tick();
      await storage.failTask(a.batchId, 0, 2, 'boom again', t5);
      const again = (await allFailed(storage, 1)).filter((f) => f.username === alice);
      expect(again).toMatchObject([
        { index: 0, attempts: 2, error: 'boom again', failedAt: t5 },
        { index: 2, attempts: 1 },
      ]);
    });
  });
}
