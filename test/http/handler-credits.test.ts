import { describe, expect, it } from 'vitest';
import { creditsResponseSchema } from '../../src/core/schemas/responses.js';
import { createTestApp } from './app.js';

describe('GET /api/credits with grants', () => {
  it('shows the balance, the live grants in draw order with kind and expiry, and the journal with expire entries', async () => {
    let now = 1_800_000_000_000;
    const app = await createTestApp({ engine: { now: () => now } });
    try {
      const { credits } = app.engine;
      await credits.grant('dan', 4, { idempotencyKey: 'paid' });
      await credits.grant('dan', 2, { idempotencyKey: 'trial', kind: 'promo', expiresAt: now + 1000 });
      await credits.grant('dan', 3, { idempotencyKey: 'month', kind: 'paid', priority: 1, expiresAt: now + 5000 });
      const first = await app.send('GET', '/api/credits', { user: 'dan' });
      expect(first.status).toBe(200);
      expect(creditsResponseSchema.parse(first.body)).toBeTruthy();
      expect(first.body.balance).toBe(9);
      expect(first.body.grants).toEqual([
        { id: 'month', kind: 'paid', priority: 1, remaining: 3, expires_at: now + 5000 },
        { id: 'trial', kind: 'promo', priority: 0, remaining: 2, expires_at: now + 1000 },
        { id: null, kind: 'paid', priority: 0, remaining: 4, expires_at: null },
      ]);
      now += 1000;
      const later = await app.send('GET', '/api/credits?limit=2', { user: 'dan' });
      expect(later.body.balance).toBe(7);
      expect(later.body.grants.map((g: { id: string | null }) => g.id)).toEqual(['month', null]);
      expect(later.body.entries[0]).toMatchObject({ kind: 'expire', amount: -2, reference: 'trial', balanceAfter: 7 });
      expect(later.body.next_cursor).not.toBeNull();
    } finally {
      await app.close();
    }
  });
});
