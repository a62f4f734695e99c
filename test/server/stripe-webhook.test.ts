import Stripe from 'stripe';
import { afterAll, describe, expect, it } from 'vitest';
import { createStripeWebhook } from '../../examples/server/stripe-webhook.js';
import { createTestApp } from '../http/app.js';

const SECRET = 'whsec_test_secret_0123456789';
const app = await createTestApp({ start: false });
afterAll(() => app.close());
const webhook = createStripeWebhook({ engine: app.engine, secret: SECRET });

function sessionEvent(id: string, username: string, credits: string, extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    id,
    object: 'event',
    type: 'checkout.session.completed',
    data: { object: { id: `cs_${id}`, object: 'checkout.session', payment_status: 'paid', metadata: { username, credits }, ...extra } },
  });
}

function deliver(payload: string, header = Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET })) {
  return webhook(new Request('http://x/webhooks/stripe', { method: 'POST', headers: { 'stripe-signature': header }, body: payload }));
}

describe('Stripe webhook (checkout.session.completed)', () => {
  it('a valid event grants the purchased credits once; its replay grants nothing', async () => {
    const payload = sessionEvent('evt_1', 'buyer1', '50');
    const first = await deliver(payload);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ received: true, outcome: 'granted' });
    expect(await app.engine.credits.balance('buyer1')).toBe(50);
    const replay = await deliver(payload);
    expect(await replay.json()).toEqual({ received: true, outcome: 'duplicate' });
    expect(await app.engine.credits.balance('buyer1')).toBe(50);
    const [entry] = (await app.engine.credits.history('buyer1')).items;
    expect(entry).toMatchObject({ kind: 'grant', amount: 50, idempotencyKey: 'stripe:evt_1', reference: 'cs_evt_1' });
  });

  it('a wrong signature or a stale timestamp is 400 and grants nothing', async () => {
    const payload = sessionEvent('evt_2', 'buyer2', '10');
    const wrong = Stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_another_secret' });
    expect((await deliver(payload, wrong)).status).toBe(400);
    const stale = Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET, timestamp: Math.floor(Date.now() / 1000) - 3600 });
    const answer = await deliver(payload, stale);
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ code: 'validation', field: 'stripe-signature' });
    expect((await deliver(payload, '')).status).toBe(400);
    // A body changed after signing.
    const signed = Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET });
    expect((await deliver(sessionEvent('evt_2', 'buyer2', '1000'), signed)).status).toBe(400);
    expect(await app.engine.credits.balance('buyer2')).toBe(0);
    expect((await app.engine.credits.history('buyer2')).items).toEqual([]);
  });

  it('takes the user from client_reference_id when metadata has none; an unpaid session or another event grants nothing', async () => {
    const payload = JSON.stringify({
      id: 'evt_3',
      type: 'checkout.session.completed',
      data: { object: { id: 'cs_3', payment_status: 'paid', client_reference_id: 'buyer3', metadata: { credits: '7' } } },
    });
    expect(await (await deliver(payload)).json()).toMatchObject({ outcome: 'granted' });
    expect(await app.engine.credits.balance('buyer3')).toBe(7);
    expect(await (await deliver(sessionEvent('evt_4', 'buyer4', '5', { payment_status: 'unpaid' }))).json()).toMatchObject({
      outcome: 'ignored',
    });
    const other = JSON.stringify({
      id: 'evt_5',
      type: 'invoice.paid',
      data: { object: { metadata: { username: 'buyer4', credits: '5' } } },
    });
    expect(await (await deliver(other)).json()).toMatchObject({ outcome: 'ignored' });
    expect(await (await deliver(sessionEvent('evt_6', 'buyer4', 'lots'))).json()).toMatchObject({ outcome: 'ignored' });
    expect(await app.engine.credits.balance('buyer4')).toBe(0);
  });

  it('a body over the cap is refused before it is verified', async () => {
    const big = 'x'.repeat(300 * 1024);
    expect((await deliver(big)).status).toBe(413);
  });
});
