import { ValidationError } from '../../../core/errors/index.js';
import { PROGRESS } from '../../../core/policy/progress.js';
import type { GenerationRecord } from '../../../core/schemas/records.js';
import { charge, claimPending, grant, makeBatch, seededBatch, tick, type ConformanceContext } from '../fixtures.js';
import type { ConformanceTestApi } from '../test-api.js';

/** Ids name their owner (`batch:{username}:{timestamp}`, `record:{username}:{timestamp}`); an adapter may key its data by it. */
export function ownershipSuite(t: ConformanceTestApi, ctx: () => ConformanceContext): void {
  const { describe, it, expect } = t;
  describe('ids belong to their user', () => {
    it('refuses a batch whose id or charge names another user, charging nothing', async () => {
      const { storage, user } = ctx();
      const [u, other] = [user(), user()];
      await storage.applyLedgerEntry(grant(u, 10, 'g'), tick());
      await storage.applyLedgerEntry(grant(other, 10, 'g'), tick());
      const ts = tick();
      const foreignId = { ...makeBatch(u, ts), batchId: `batch:${other}:${ts}` };
      const byId = await storage.createBatch(foreignId, charge(u, 3, 'a'), ts).catch((e: unknown) => e);
      expect(byId).toBeInstanceOf(ValidationError);
      const byCharge = await storage.createBatch(makeBatch(u, ts), charge(other, 3, 'b'), ts).catch((e: unknown) => e);
      expect(byCharge).toBeInstanceOf(ValidationError);
      expect(await storage.getBatch(foreignId.batchId)).toBeNull();
      expect(await storage.getBatch(`batch:${u}:${ts}`)).toBeNull();
      expect([await storage.getBalance(u), await storage.getBalance(other)]).toEqual([10, 10]);
    });

    it('refuses to retry a task with another user’s charge, charging nothing', async () => {
      const { storage, user } = ctx();
      const [u, other] = [user(), user()];
      const batch = await seededBatch(storage, u, ['a']);
      const task = await claimPending(storage, batch.batchId, 0);
      await storage.failTask(batch.batchId, 0, task.attempts, 'x', tick());
      await storage.applyLedgerEntry(grant(other, 5, 'g'), tick());
      const error = await storage
        .retryTask(batch.batchId, 0, { charge: charge(other, 1, 'r'), progress: PROGRESS.queued }, tick())
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect(await storage.getTask(batch.batchId, 0)).toMatchObject({ status: 'failed' });
      expect(await storage.getBalance(other)).toBe(5);
    });

    it('refuses a record whose id names another user', async () => {
      const { storage, user } = ctx();
      const [u, other] = [user(), user()];
      const ts = tick();
      const record: GenerationRecord = {
        recordId: `record:${other}:${ts}`,
        username: u,
        type: 'text_to_image',
        prompt: 'p',
        imageUrl: '/img/x.png',
        requestId: 'r',
        createdAt: ts,
        aspectRatio: '1:1',
        seed: null,
        imagePromptStrength: null,
      };
      expect(await storage.createRecord(record).catch((e: unknown) => e)).toBeInstanceOf(ValidationError);
      expect(await storage.getRecord(record.recordId)).toBeNull();
      expect((await storage.listRecords(u, {})).items).toEqual([]);
    });
  });
}
