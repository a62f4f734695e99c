import { createHash, createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { createBflProvider } from '../../src/adapters/providers/bfl/index.js';
import { createWebhookHandler, StatusInbox } from '../../src/adapters/providers/webhooks/index.js';
import { runGeneration } from '../../src/core/services/generation-runner.js';
import { PNG, TEXT_INPUT, useMsw } from './harness.js';

const server = useMsw();
const HOOK = 'https://app.example/api/webhooks';

function bflDelivery(body: object, secret = 'bfl-secret') {
  const text = JSON.stringify(body);
  const signature = createHmac('sha256', secret).update(text).digest('hex');
  return new Request(`${HOOK}/bfl`, { method: 'POST', body: text, headers: { 'x-bfl-signature': `sha256=${signature}` } });
}

describe('webhooks', () => {
  it('a verified BFL webhook completes the waiting task without waiting for the next poll', async () => {
    let submitted: any;
    let polls = 0;
    server.use(
      http.post(
        'https://api.bfl.ai/v1/:model',
        async ({ request }) => (
          (submitted = await request.json()), HttpResponse.json({ id: 'w1', polling_url: 'https://api.bfl.ai/v1/get_result?id=w1' })
        ),
      ),
      http.get('https://api.bfl.ai/v1/get_result', () => (polls++, HttpResponse.json({ status: 'Pending' }))),
      http.get('https://cdn.bfl.ai/w1.png', () => new HttpResponse(PNG)),
    );
    const inbox = new StatusInbox();
    const handler = createWebhookHandler({ inbox, bfl: { secret: 'bfl-secret' } });
    const provider = createBflProvider({ apiKeys: 'k', webhook: { url: `${HOOK}/bfl`, secret: 'bfl-secret', inbox } });
    const started = Date.now();
    const running = runGeneration({
      provider,
      input: TEXT_INPUT,
      policy: { maxPolls: 3, pollIntervalMs: 10_000 },
      signal: AbortSignal.timeout(20_000),
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(submitted).toMatchObject({ webhook_url: `${HOOK}/bfl`, webhook_secret: 'bfl-secret' });
    const delivery = { id: 'w1', status: 'Ready', result: { sample: 'https://cdn.bfl.ai/w1.png' } };
    const response = await handler(bflDelivery(delivery));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ outcome: 'accepted' });
    const { image } = await running;
    expect(image.bytes).toEqual(PNG);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(polls).toBe(0);
    expect(provider.keyStats()[0]).toMatchObject({ inFlight: 0, successes: 1 });
    // The same delivery again changes nothing.
    expect(await (await handler(bflDelivery(delivery))).json()).toMatchObject({ outcome: 'duplicate' });
  });

  it('rejects a BFL webhook with a wrong signature (401) and delivers nothing', async () => {
    const inbox = new StatusInbox();
    const handler = createWebhookHandler({ inbox, bfl: { secret: 'bfl-secret' } });
    expect((await handler(bflDelivery({ id: 'x', status: 'Ready', result: { sample: 'https://a/b' } }, 'wrong'))).status).toBe(401);
    expect(inbox.peek('bfl', 'x')).toBeNull();
    expect((await handler(new Request(`${HOOK}/unknown`, { method: 'POST', body: '{}' }))).status).toBe(404);
  });

  it('verifies Replicate deliveries (webhook-id.timestamp.body, HMAC keyed with whsec_) and maps the prediction', async () => {
    const key = Buffer.from('replicate-signing-key');
    const secret = `whsec_${key.toString('base64')}`;
    const inbox = new StatusInbox();
    const handler = createWebhookHandler({ inbox, replicate: { secret } });
    const body = JSON.stringify({ id: 'p9', status: 'failed', error: 'flagged as sensitive (E005)' });
    const ts = String(Math.floor(Date.now() / 1000));
    const sig = createHmac('sha256', key).update(`msg_1.${ts}.${body}`).digest('base64');
    const request = (signature: string, timestamp = ts) =>
      new Request(`${HOOK}/replicate`, {
        method: 'POST',
        body,
        headers: { 'webhook-id': 'msg_1', 'webhook-timestamp': timestamp, 'webhook-signature': signature },
      });
    expect((await handler(request(`v1,bogus v1,${sig}`))).status).toBe(200);
    expect(inbox.peek('replicate', 'p9')).toMatchObject({ state: 'failed', reason: 'moderated_output' });
    expect((await handler(request(`v1,${sig}`, String(Number(ts) - 3600)))).status).toBe(401);
    expect((await handler(request('v1,AAAA'))).status).toBe(401);
  });

  it('verifies fal deliveries with ED25519 keys from the JWKS and maps OK / ERROR payloads', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const jwk = publicKey.export({ format: 'jwk' }) as { kty: string; crv: string; x: string };
    server.use(http.get('https://rest.alpha.fal.ai/.well-known/jwks.json', () => HttpResponse.json({ keys: [jwk] })));
    const inbox = new StatusInbox();
    const handler = createWebhookHandler({ inbox, fal: {} });
    const deliver = (payload: object, tamper = false) => {
      const body = JSON.stringify(payload);
      const ts = String(Math.floor(Date.now() / 1000));
      const message = ['req-7', 'user-1', ts, createHash('sha256').update(body).digest('hex')].join('\n');
      const signature = sign(null, Buffer.from(message), privateKey).toString('hex');
      return handler(
        new Request(`${HOOK}/fal`, {
          method: 'POST',
          body: tamper ? body.replace('OK', 'ERROR') : body,
          headers: {
            'x-fal-webhook-request-id': 'req-7',
            'x-fal-webhook-user-id': 'user-1',
            'x-fal-webhook-timestamp': ts,
            'x-fal-webhook-signature': signature,
          },
        }),
      );
    };
    const ok = {
      request_id: 'req-7',
      status: 'OK',
      payload: { images: [{ url: 'https://v3.fal.media/x.png' }], has_nsfw_concepts: [false] },
    };
    expect((await deliver(ok, true)).status).toBe(401);
    expect((await deliver(ok)).status).toBe(200);
    expect(inbox.peek('fal', 'req-7')).toMatchObject({ state: 'succeeded', output: { url: 'https://v3.fal.media/x.png' } });
    expect(await (await deliver(ok)).json()).toMatchObject({ outcome: 'duplicate' });
  });

  it('a status delivered before the runner waits is kept for it', async () => {
    const inbox = new StatusInbox();
    inbox.deliver('bfl', 'early', { state: 'failed', reason: 'moderated_output', message: 'm' });
    await expect(inbox.wait('bfl', 'early', 10_000, AbortSignal.timeout(1000))).resolves.toMatchObject({ reason: 'moderated_output' });
    await expect(inbox.wait('bfl', 'other', 10, AbortSignal.timeout(1000))).resolves.toBeNull();
  });
});
