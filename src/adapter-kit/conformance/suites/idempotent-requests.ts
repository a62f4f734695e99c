import { tick, type ConformanceContext } from '../fixtures.js';
import type { ConformanceTestApi } from '../test-api.js';

export function idempotentRequestsSuite(t: ConformanceTestApi, ctx: () => ConformanceContext): void {
  const { describe, it, expect } = t;
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

    it('hands a stale pending key (its request crashed) to exactly one of 20 concurrent callers, with its fingerprint', async () => {
      const { storage, user } = ctx();
      const key = `${user()}:stale`;
      const began = tick();
      expect(await storage.beginIdempotent(key, 'crashed', began, { staleAfterMs: 1000 })).toEqual({ state: 'new' });
      const later = began + 1000;
      const states = await Promise.all(
        Array.from({ length: 20 }, (_, i) => storage.beginIdempotent(key, `retry-${i}`, later, { staleAfterMs: 1000 })),
      );
      const winners = states.flatMap((s, i) => (s.state === 'new' ? [i] : []));
      expect(winners).toHaveLength(1);
      // Everyone else sees the winner's run as pending, under the winner's fingerprint.
      const winner = `retry-${winners[0]}`;
      expect(states.filter((s) => s.state === 'pending' && s.fingerprint === winner)).toHaveLength(19);
      // The winner's run is fresh: it is not taken over again at the same moment, and it completes normally.
      expect(await storage.beginIdempotent(key, 'x', later + 999, { staleAfterMs: 1000 })).toEqual({
        state: 'pending',
        fingerprint: winner,
      });
      await storage.completeIdempotent(key, { status: 200 }, later + 999);
      expect(await storage.beginIdempotent(key, 'x', later + 5000, { staleAfterMs: 1000 })).toEqual({
        state: 'done',
        fingerprint: winner,
        response: { status: 200 },
      });
    });

    it('does not take over a pending key younger than staleAfterMs, nor one begun without it in mind', async () => {
      const { storage, user } = ctx();
      const key = `${user()}:fresh`;
      const began = tick();
      await storage.beginIdempotent(key, 'running', began, { staleAfterMs: 1000 });
      const states = await Promise.all(
        Array.from({ length: 20 }, () => storage.beginIdempotent(key, 'retry', began + 999, { staleAfterMs: 1000 })),
      );
      expect(states).toEqual(Array.from({ length: 20 }, () => ({ state: 'pending', fingerprint: 'running' })));
      // Without staleAfterMs a pending key never goes stale.
      expect(await storage.beginIdempotent(key, 'retry', began + 10 * 365 * 86_400_000)).toEqual({
        state: 'pending',
        fingerprint: 'running',
      });
    });

    it('replays a completed response until its retention ends, then treats the key as new', async () => {
      const { storage, user } = ctx();
      const key = `${user()}:retain`;
      const began = tick();
      await storage.beginIdempotent(key, 'fp', began);
      const done = began + 10;
      await storage.completeIdempotent(key, { status: 200, body: 'first' }, done, { retainMs: 5000 });
      const replay = { state: 'done', fingerprint: 'fp', response: { status: 200, body: 'first' } };
      expect(await storage.beginIdempotent(key, 'fp', done + 4999)).toEqual(replay);
      // A stale window on the caller's side does not apply to done keys.
      expect(await storage.beginIdempotent(key, 'fp', done + 4999, { staleAfterMs: 1 })).toEqual(replay);
      expect(await storage.beginIdempotent(key, 'fp2', done + 5000)).toEqual({ state: 'new' });
      expect(await storage.beginIdempotent(key, 'fp', done + 5001)).toEqual({ state: 'pending', fingerprint: 'fp2' });
    });

    it('keeps a completed response 24 hours by default', async () => {
      const { storage, user } = ctx();
      const key = `${user()}:default-retain`;
      const began = tick();
      await storage.beginIdempotent(key, 'fp', began);
      await storage.completeIdempotent(key, 'r', began);
      const day = 24 * 60 * 60 * 1000;
      expect(await storage.beginIdempotent(key, 'fp', began + day - 1)).toMatchObject({ state: 'done', response: 'r' });
      expect(await storage.beginIdempotent(key, 'fp', began + day)).toEqual({ state: 'new' });
    });

    it('an expired response among 20 concurrent callers is claimed anew by exactly one', async () => {
      const { storage, user } = ctx();
      const key = `${user()}:expired-race`;
      const began = tick();
      await storage.beginIdempotent(key, 'fp', began);
      await storage.completeIdempotent(key, 'old', began, { retainMs: 100 });
      const states = await Promise.all(Array.from({ length: 20 }, () => storage.beginIdempotent(key, 'fp', began + 100)));
      expect(states.filter((s) => s.state === 'new')).toHaveLength(1);
      expect(states.filter((s) => s.state === 'pending')).toHaveLength(19);
    });

    it('rejects a window that is not a positive whole number of milliseconds, writing nothing', async () => {
      const { storage, user } = ctx();
      const key = `${user()}:bad`;
      await expect(storage.beginIdempotent(key, 'fp', tick(), { staleAfterMs: 0 })).rejects.toThrow(/staleAfterMs/);
      await expect(storage.beginIdempotent(key, 'fp', tick(), { staleAfterMs: 1.5 })).rejects.toThrow(/staleAfterMs/);
      expect(await storage.beginIdempotent(key, 'fp', tick())).toEqual({ state: 'new' });
      await expect(storage.completeIdempotent(key, 'r', tick(), { retainMs: -1 })).rejects.toThrow(/retainMs/);
      expect(await storage.beginIdempotent(key, 'fp', tick())).toEqual({ state: 'pending', fingerprint: 'fp' });
    });
  });
}
