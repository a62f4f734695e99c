import { ConflictError } from '../../../core/errors/index.js';
import type { GenerationRecord } from '../../../core/schemas/records.js';
import { tick, type ConformanceContext } from '../fixtures.js';
import type { ConformanceTestApi } from '../test-api.js';

const record = (username: string, ts: number, extra: Partial<GenerationRecord> = {}): GenerationRecord => ({
  recordId: `record:${username}:${ts}`,
  username,
  type: 'image_to_image',
  prompt: 'watercolor',
  imageUrl: `/api/images/${ts}.png`,
  requestId: `req-${ts}`,
  createdAt: ts,
  aspectRatio: '1:1',
  seed: 7,
  imagePromptStrength: 0.5,
  ...extra,
});

export function recordsSuite(t: ConformanceTestApi, ctx: () => ConformanceContext): void {
  const { describe, it, expect } = t;
  describe('generation records', () => {
    it('stores and reads a record field for field', async () => {
      const { storage, user } = ctx();
      const r = record(user(), tick(), { type: 'text_to_image', imagePromptStrength: null, seed: null });
      await storage.createRecord(r);
      expect(await storage.getRecord(r.recordId)).toEqual(r);
      expect(await storage.getRecord(`record:${r.username}:1`)).toBeNull();
    });

    it('refuses a record id that exists', async () => {
      const { storage, user } = ctx();
      const r = record(user(), tick());
      await storage.createRecord(r);
      const error = await storage.createRecord({ ...r, prompt: 'other' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect(error).toMatchObject({ reason: 'id_taken' });
      expect((await storage.getRecord(r.recordId))!.prompt).toBe('watercolor');
    });

    it('lists a user’s records newest first, paged', async () => {
      const { storage, user } = ctx();
      const u = user();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const r = record(u, tick());
        ids.push(r.recordId);
        await storage.createRecord(r);
      }
      await storage.createRecord(record(user(), tick()));
      const first = await storage.listRecords(u, { limit: 2 });
      expect(first.items.map((r) => r.recordId)).toEqual([ids[4], ids[3]]);
      const rest = await storage.listRecords(u, { limit: 10, cursor: first.nextCursor });
      expect(rest.items.map((r) => r.recordId)).toEqual([ids[2], ids[1], ids[0]]);
      expect(rest.nextCursor).toBeNull();
    });
  });
}
