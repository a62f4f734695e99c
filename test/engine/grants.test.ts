import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors/index.js';
import { testEngine } from './harness.js';

/** An engine whose clock the test moves. */
function clocked() {
  let now = 1_800_000_000_000;
  const engine = testEngine({}, { now: () => now });
  return { engine, credits: engine.credits, advance: (ms: number) => (now += ms), now: () => now };
}

describe('credits.grant with terms', () => {
  it('defaults to paid, priority 0, never expiring: the default pool', async () => {
    const { credits } = clocked();
    await credits.grant('amy', 5, { idempotencyKey: 'g' });
    expect(await credits.grants('amy')).toEqual([{ id: null, kind: 'paid', priority: 0, remaining: 5, expiresAt: null }]);
  });

  it('promo credits with a higher priority go first and expire with an expire entry', async () => {
    const { credits, advance, now } = clocked();
    await credits.grant('ben', 10, { idempotencyKey: 'paid' });
    await credits.grant('ben', 3, { idempotencyKey: 'promo', kind: 'promo', priority: 10, expiresAt: now() + 60_000 });
    await credits.charge('ben', 2, { idempotencyKey: 'c' });
    expect((await credits.grants('ben')).map((g) => [g.id, g.remaining])).toEqual([
      ['promo', 1],
      [null, 10],
    ]);
    advance(60_000);
    expect(await credits.balance('ben')).toBe(10);
    const history = await credits.history('ben');
    expect(history.items[0]).toMatchObject({ kind: 'expire', amount: -1, reference: 'promo', balanceAfter: 10 });
  });

  it.each([
    [{ kind: 'gift' as never }, 'kind'],
    [{ priority: 1.5 }, 'priority'],
    [{ expiresAt: 1_800_000_000_000 }, 'expiresAt'],
    [{ idempotencyKey: 'expire:x' }, 'idempotencyKey'],
  ])('rejects %o, naming %s, and grants nothing', async (terms, field) => {
    const { credits } = clocked();
    const error = await credits.grant('cat', 5, { idempotencyKey: 'g', ...terms }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ field });
    expect(await credits.balance('cat')).toBe(0);
  });
});

describe('batch refunds and grants', () => {
  it('cancelling waiting tasks gives their credits back to the promo grant the batch drew from', async () => {
    const { credits, engine, now } = clocked();
    await credits.grant('cal', 10, { idempotencyKey: 'paid' });
    await credits.grant('cal', 3, { idempotencyKey: 'promo', kind: 'promo', priority: 10, expiresAt: now() + 60_000 });
    // Not started: the tasks stay pending until cancelled.
    const { batch } = await engine.batches.submit('cal', { prompt: 'a fox', count: 4 });
    expect((await credits.grants('cal')).map((g) => [g.id, g.remaining])).toEqual([[null, 9]]);
    const out = await engine.batches.cancel('cal', batch.batchId);
    expect(out.creditsRefunded).toBe(4);
    expect((await credits.grants('cal')).map((g) => [g.id, g.remaining])).toEqual([
      ['promo', 3],
      [null, 10],
    ]);
  });
});
