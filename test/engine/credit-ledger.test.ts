import { describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../src/core/errors/index.js';
import type { CreditsChangedEvent } from '../../src/core/events.js';
import { testEngine } from './harness.js';

describe('CreditLedger', () => {
  it('grants, charges and refunds, each entry moving the balance, newest first in history', async () => {
    const { credits } = testEngine();
    await credits.grant('amy', 10, { idempotencyKey: 'g', reason: 'welcome' });
    await credits.charge('amy', 2, { idempotencyKey: 'c1', reference: 'record:amy:1' });
    await credits.refund('amy', 'c1', 'provider failed');
    expect(await credits.balance('amy')).toBe(10);
    const history = await credits.history('amy');
    expect(history.items.map((e) => [e.kind, e.amount, e.balanceAfter])).toEqual([
      ['refund', 2, 10],
      ['charge', -2, 8],
      ['grant', 10, 10],
    ]);
    expect(history.items[0]).toMatchObject({ idempotencyKey: 'refund:c1', reference: 'c1', reason: 'provider failed' });
  });

  it('refunds a charge at most once, also when the failure is reported many times at once', async () => {
    const { credits } = testEngine();
    await credits.grant('ben', 5, { idempotencyKey: 'g' });
    await credits.charge('ben', 2, { idempotencyKey: 'c' });
    const refunds = await Promise.all(Array.from({ length: 10 }, () => credits.refund('ben', 'c', 'failed')));
    expect(refunds.filter((r) => !r.replayed)).toHaveLength(1);
    expect(await credits.balance('ben')).toBe(5);
  });

  it('refuses to refund what was never charged', async () => {
    const { credits } = testEngine();
    await credits.grant('cat', 5, { idempotencyKey: 'g' });
    await expect(credits.refund('cat', 'nope', 'x')).rejects.toBeInstanceOf(NotFoundError);
    await expect(credits.refund('cat', 'g', 'x')).rejects.toBeInstanceOf(NotFoundError);
    expect(await credits.balance('cat')).toBe(5);
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects the amount %s', async (amount) => {
    const { credits } = testEngine();
    await expect(credits.grant('dee', amount, { idempotencyKey: 'g' })).rejects.toMatchObject({ field: 'amount' });
    await expect(credits.charge('dee', amount, { idempotencyKey: 'c' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('emits credits:changed once per applied entry, not for replays', async () => {
    const { credits, events } = testEngine();
    const seen: CreditsChangedEvent[] = [];
    events.on('credits:changed', (e) => seen.push(e));
    await credits.grant('eli', 3, { idempotencyKey: 'g' });
    await credits.grant('eli', 3, { idempotencyKey: 'g' });
    await credits.charge('eli', 1, { idempotencyKey: 'c' });
    expect(seen).toEqual([
      { username: 'eli', balance: 3, delta: 3, kind: 'grant', idempotencyKey: 'g' },
      { username: 'eli', balance: 2, delta: -1, kind: 'charge', idempotencyKey: 'c' },
    ]);
  });

  it('never goes below zero: 200 concurrent 1-credit charges against 100 credits', async () => {
    const { credits } = testEngine();
    await credits.grant('fin', 100, { idempotencyKey: 'g' });
    const results = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => credits.charge('fin', 1, { idempotencyKey: `c${i}` })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(100);
    expect(await credits.balance('fin')).toBe(0);
  });
});
