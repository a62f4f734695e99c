import { describe, expect, it } from 'vitest';
import { tick, type ConformanceContext } from '../fixtures.js';

export function idempotentRequestsSuite(ctx: () => ConformanceContext): void {
  describe('idempotent requests', () => {
    it('claims a key once, then reports it pending, then done with the stored response', async () => {
      const { storage, user } = ctx();
      const key = `${user()}:k1`;
      expect(await storage.beginIdempotent(key, 'fp', tick())).toEqual({ state: 'new' });
      expect(await storage.beginIdempotent(key, 'fp', tick())).toEqual({ state: 'pending', fingerprint: 'fp' });
      await storage.completeIdempotent(key, { status: 200, body: { ok: 1 } }, tick());
      expect(await storage.beginIdempotent(key, 'other', tick())).toEqual({
        state: 'done',
        fingerprint: 'fp',
        response: { status: 200, body: { ok: 1 } },
      });
    });

    it('forgets an abandoned pending key so it can be tried again', async () => {
      const { storage, user } = ctx();
      const key = `${user()}:k2`;
      await storage.beginIdempotent(key, 'fp', tick());
      await storage.abandonIdempotent(key);
      expect(await storage.beginIdempotent(key, 'fp2', tick())).toEqual({ state: 'new' });
    });

    it('gives "new" to exactly one of many concurrent claims', async () => {
      const { storage, user } = ctx();
      const key = `${user()}:k3`;
      const states = await Promise.all(Array.from({ length: 20 }, () => storage.beginIdempotent(key, 'fp', tick())));
      expect(states.filter((s) => s.state === 'new')).toHaveLength(1);
    });
  });
}
