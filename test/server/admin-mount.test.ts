import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminsFromEnv } from '../../examples/server/admin.js';
import { createServerApp } from '../../examples/server/app.js';
import { createOfflineProvider } from '../../src/adapters/providers/offline/index.js';

let dir: string;
const saved = { admins: process.env.IMAGEGEN_ADMINS, stripe: process.env.STRIPE_WEBHOOK_SECRET };
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'igk-admin-'));
  process.env.IMAGEGEN_ADMINS = ' ops , root';
  process.env.STRIPE_WEBHOOK_SECRET = 'whsec_mount_test';
});
afterAll(() => {
  for (const [name, value] of [
    ['IMAGEGEN_ADMINS', saved.admins],
    ['STRIPE_WEBHOOK_SECRET', saved.stripe],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('reference server: admin API and Stripe webhook mounts', () => {
  it('reads IMAGEGEN_ADMINS as comma-separated names', () => {
    expect([...adminsFromEnv({ IMAGEGEN_ADMINS: 'a, b,,c ' })]).toEqual(['a', 'b', 'c']);
    expect(adminsFromEnv({}).size).toBe(0);
  });

  it('serves /admin/api to a named admin with their bearer token, 404 to other users, and grants a Stripe purchase', async () => {
    const server = await createServerApp({ dataDir: join(dir, 'data'), provider: createOfflineProvider({ size: 32 }), startingCredits: 0 });
    try {
      const signIn = async (username: string) => {
        const answer = await server.app.request('/auth/sign-in', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username, password: 'a good password' }),
        });
        return ((await answer.json()) as { token: string }).token;
      };
      const ops = await signIn('ops');
      const mallory = await signIn('mallory');
      const grant = (token: string) =>
        server.app.request('/admin/api/credits/grant', {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'mallory', amount: 5, reason: 'support ticket 12' }),
        });
      expect((await grant(mallory)).status).toBe(404);
      const granted = await grant(ops);
      expect(granted.status).toBe(200);
      expect(await granted.json()).toMatchObject({ balance: 5, entry: { reason: 'admin:ops: support ticket 12' } });

      const payload = JSON.stringify({
        id: 'evt_mount',
        type: 'checkout.session.completed',
        data: { object: { id: 'cs_mount', payment_status: 'paid', metadata: { username: 'mallory', credits: '20' } } },
      });
      const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_mount_test' });
      const send = () => server.app.request('/webhooks/stripe', { method: 'POST', headers: { 'stripe-signature': header }, body: payload });
      expect((await send()).status).toBe(200);
      expect((await send()).status).toBe(200);
      expect(await server.engine.credits.balance('mallory')).toBe(25);
    } finally {
      await server.close();
    }
  });
});
