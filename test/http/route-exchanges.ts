import { createHmac } from 'node:crypto';
import sharp from 'sharp';
import { createWebhookHandler, StatusInbox } from '../../src/adapters/providers/webhooks/index.js';
import type { TestApp } from './app.js';

/** The webhook handler every exchange app mounts (BFL deliveries signed with `bfl-secret`). */
export const exchangeWebhooks = () => createWebhookHandler({ inbox: new StatusInbox(), bfl: { secret: 'bfl-secret' } });

/** What the exchanges call: alice's credits, a completed batch, a failed one (prompt `doomed`), an image URL. */
export interface ExchangeFixture {
  png: Buffer;
  completedBatch: string;
  failedBatch: string;
  imageUrl: string;
}

/** Makes the fixture; the app's provider must fail prompts containing `doomed`. */
export async function prepareExchanges(app: TestApp): Promise<ExchangeFixture> {
  await app.grant('alice', 50);
  const png = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#3366cc' } })
    .png()
    .toBuffer();
  const completedBatch = (await app.send('POST', '/api/batch/generate', { body: { prompts: ['a cat'] } })).body.batch_id;
  const failedBatch = (await app.send('POST', '/api/batch/generate', { body: { prompts: ['doomed'] } })).body.batch_id;
  await app.engine.onIdle();
  const generated = await app.send('POST', '/api/generate', { body: { prompt: 'a bird' } });
  return { png, completedBatch, failedBatch, imageUrl: generated.body.image_url };
}

function bflDelivery(body: object): Request {
  const text = JSON.stringify(body);
  const signature = createHmac('sha256', 'bfl-secret').update(text).digest('hex');
  return new Request('http://test.local/api/webhooks/bfl', {
    method: 'POST',
    body: text,
    headers: { 'x-bfl-signature': `sha256=${signature}` },
  });
}

/** For each route (`METHOD path`): calls that answer with a documented success, and some with a documented error. */
export function routeExchanges(app: TestApp, fixture: ExchangeFixture): Record<string, () => Promise<Response[]>> {
  const { png, completedBatch, failedBatch, imageUrl } = fixture;
  return {
    'POST /upload-image': async () => {
      const form = new FormData();
      form.append('image', new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' }), 'a.png');
      const bad = new FormData();
      bad.append('image', new Blob([new Uint8Array([1, 2, 3])], { type: 'image/png' }), 'a.png');
      return [await app.call('POST', '/api/upload-image', { body: form }), await app.call('POST', '/api/upload-image', { body: bad })];
    },
    'POST /image-to-image': async () => [
      await app.call('POST', '/api/image-to-image', {
        body: { prompt: 'a fox', input_image: `data:image/png;base64,${png.toString('base64')}` },
      }),
      await app.call('POST', '/api/image-to-image', { user: 'poor', body: { prompt: 'a fox', input_image: 'https://x/y.png' } }),
    ],
    'POST /generate': async () => [
      await app.call('POST', '/api/generate', { body: { prompt: 'a fox' }, headers: { 'idempotency-key': 'conformance-1' } }),
      await app.call('POST', '/api/generate', { body: { prompt: '' } }),
    ],
    'GET /records': async () => [await app.call('GET', '/api/records?limit=1'), await app.call('GET', '/api/records?limit=0')],
    'POST /batch/generate': async () => [
      await app.call('POST', '/api/batch/generate', { body: { prompts: ['a cat', 'a dog'] } }),
      await app.call('POST', '/api/batch/generate', { body: { prompt: 'a cat', count: 11 } }),
    ],
    'GET /batch/status': async () => [
      await app.call('GET', `/api/batch/status?batch_id=${completedBatch}`),
      await app.call('GET', `/api/batch/status?batch_id=${completedBatch}`, { user: 'bob' }),
    ],
    'GET /batch/list': async () => [await app.call('GET', '/api/batch/list?limit=2')],
    'POST /batch/process': async () => [
      await app.call('POST', '/api/batch/process', { body: { batch_id: completedBatch, task_index: 0 } }),
      await app.call('POST', '/api/batch/process', { body: { batch_id: completedBatch, task_index: 9 } }),
    ],
    'POST /batch/retry': async () => [
      await app.call('POST', '/api/batch/retry', { body: { batch_id: failedBatch, task_index: 0 } }),
      await app.call('POST', '/api/batch/retry', { user: null, body: { batch_id: failedBatch, task_index: 0 } }),
    ],
    'POST /batch/cancel': async () => {
      const fresh = (await app.send('POST', '/api/batch/generate', { body: { prompt: 'a fox', count: 3 } })).body.batch_id;
      return [
        await app.call('POST', '/api/batch/cancel', { body: { batch_id: fresh } }),
        await app.call('POST', '/api/batch/cancel', { body: { batch_id: completedBatch } }),
        await app.call('POST', '/api/batch/cancel', { user: 'bob', body: { batch_id: completedBatch } }),
        await app.call('POST', '/api/batch/cancel', { body: { batch_id: completedBatch, task_index: -1 } }),
      ];
    },
    'GET /batch/events': async () => [
      await app.call('GET', `/api/batch/events?batch_id=${completedBatch}`),
      await app.call('GET', '/api/batch/events'),
    ],
    'GET /credits': async () => [await app.call('GET', '/api/credits')],
    'GET /images/:key': async () => [
      await app.call('GET', imageUrl, { user: null }),
      await app.call('GET', new URL(imageUrl, 'http://test.local').pathname, { user: null }),
    ],
    'GET /openapi.json': async () => [await app.call('GET', '/api/openapi.json', { user: null })],
    'POST /webhooks/:provider': async () => [
      await app.handler(bflDelivery({ id: 'w1', status: 'Ready', result: { sample: 'https://cdn.example/w1.png' } })),
      await app.handler(new Request('http://test.local/api/webhooks/bfl', { method: 'POST', body: '{}' })),
    ],
  };
}
