import { createHmac } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSchema, type ErrorStatus } from '../../src/adapters/http/openapi/route-doc.js';
import type { Route } from '../../src/adapters/http/route-context.js';
import { routeTable } from '../../src/adapters/http/routes/index.js';
import { createWebhookHandler, StatusInbox } from '../../src/adapters/providers/webhooks/index.js';
import { errorBodySchema } from '../../src/core/schemas/responses.js';
import { parseEventStream } from '../../src/client/sse.js';
import { createTestApp, type TestApp } from './app.js';

// Every route is called for real and its answers are checked against the zod schemas its
// documentation names, so the document cannot drift from what the handler sends.

let app: TestApp;
let png: Buffer;
let completedBatch: string;
let failedBatch: string;
let imageUrl: string;

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
const exchanges: Record<string, () => Promise<Response[]>> = {
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

async function checkAnswer(route: Route, response: Response): Promise<string[]> {
  const name = `${route.method} ${route.path} → ${response.status}`;
  const options = { maxTasksPerBatch: app.engine.maxTasksPerBatch };
  const success = route.doc.responses[response.status as 200];
  const type = response.headers.get('content-type') ?? '';
  if (!success) {
    if (!route.doc.errors.includes(response.status as ErrorStatus) && !(response.status === 401 && route.auth !== false)) {
      return [`${name}: status not documented`];
    }
    const body = errorBodySchema.safeParse(await response.json());
    return body.success ? [] : [`${name}: not the error envelope`];
  }
  if ('json' in success) {
    if (!type.startsWith('application/json')) return [`${name}: ${type} is not JSON`];
    const sent = await response.json();
    const body = resolveSchema(success.json, options).safeParse(sent);
    if (!body.success) return [`${name}: ${body.error.message}`];
    // zod drops keys its schema does not know: a field sent but not documented shows up here.
    return isDeepStrictEqual(body.data, sent) ? [] : [`${name}: sends fields the schema does not document`];
  }
  if ('bytes' in success) return success.bytes.includes(type) ? [] : [`${name}: ${type} is not documented`];
  if (!type.startsWith('text/event-stream')) return [`${name}: ${type} is not an event stream`];
  const problems: string[] = [];
  for await (const event of parseEventStream(response.body!)) {
    const schema = success.events[event.event];
    if (!schema) problems.push(`${name}: event ${event.event} not documented`);
    else if (!resolveSchema(schema, options).safeParse(JSON.parse(event.data)).success) problems.push(`${name}: ${event.event} data`);
  }
  return problems;
}

beforeAll(async () => {
  app = await createTestApp({
    provider: { failWhen: (input) => (input.prompt.includes('doomed') ? { reason: 'provider_error', message: 'broke' } : null) },
    handler: { webhooks: createWebhookHandler({ inbox: new StatusInbox(), bfl: { secret: 'bfl-secret' } }) },
  });
  await app.grant('alice', 50);
  png = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#3366cc' } })
    .png()
    .toBuffer();
  completedBatch = (await app.send('POST', '/api/batch/generate', { body: { prompts: ['a cat'] } })).body.batch_id;
  failedBatch = (await app.send('POST', '/api/batch/generate', { body: { prompts: ['doomed'] } })).body.batch_id;
  await app.engine.onIdle();
  const generated = await app.send('POST', '/api/generate', { body: { prompt: 'a bird' } });
  imageUrl = generated.body.image_url;
});
afterAll(() => app.close());

describe('the handler answers as its OpenAPI documentation says', () => {
  it('has an exchange for every route of the route table', () => {
    expect(Object.keys(exchanges).sort()).toEqual(routeTable.map((r) => `${r.method} ${r.path}`).sort());
  });

  it.each(routeTable.map((route) => [`${route.method} ${route.path}`, route] as const))('%s', async (key, route) => {
    const responses = await exchanges[key]!();
    expect(responses.some((r) => r.status >= 200 && r.status < 300)).toBe(true);
    const problems: string[] = [];
    for (const response of responses) problems.push(...(await checkAnswer(route, response)));
    expect(problems).toEqual([]);
  });
});
