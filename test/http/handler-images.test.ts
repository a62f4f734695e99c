import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRequestHandler } from '../../src/adapters/http/index.js';
import { createImageUrlSigner } from '../../src/adapters/http/image-url-signer.js';
import { createMemoryImageStore } from '../../src/adapters/image-stores/memory/index.js';
import type { ImageStore } from '../../src/core/ports/image-store.js';
import { createTestApp, readEvents, type TestApp } from './app.js';

const HOUR = 3600_000;
let app: TestApp;
let clock: number;

beforeEach(async () => {
  clock = Date.UTC(2027, 0, 1);
  app = await createTestApp({ handler: { now: () => clock } });
  await app.grant('alice', 20);
});
afterEach(() => app.close());

/** Status, body and headers: what must not tell a bad URL apart from a missing image. */
async function answerOf(response: Response) {
  const headers = Object.fromEntries([...response.headers].filter(([name]) => name !== 'date'));
  return { status: response.status, headers, body: await response.text() };
}
const anonymous = (url: string) => app.call('GET', url, { user: null });

async function generated(prompt = 'a red fox'): Promise<{ url: string; key: string }> {
  const { status, body } = await app.send('POST', '/api/generate', { body: { prompt } });
  expect(status).toBe(200);
  const key = app.engine.imageStore.keyFromUrl(body.image_url.split('?')[0])!;
  return { url: body.image_url, key };
}

describe('GET /api/images/:key by signed URL', () => {
  it('serves the bytes and content type with no Authorization header, cacheable until it expires', async () => {
    const { url, key } = await generated();
    expect(url).toMatch(/^\/api\/images\/[^?/]+\?exp=\d+&sig=[\w-]{43}$/);
    const response = await anonymous(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const stored = (await app.engine.imageStore.get(key))!;
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(stored.bytes);
    const exp = Number(new URL(url, 'http://x').searchParams.get('exp'));
    expect(exp * 1000 - clock).toBeGreaterThanOrEqual(HOUR);
    expect(exp * 1000 - clock).toBeLessThanOrEqual(1.25 * HOUR);
    expect(response.headers.get('cache-control')).toBe(`private, max-age=${exp - clock / 1000}, immutable`);
  });

  it('answers a tampered signature, a tampered key or expiry, a missing signature and an expired URL exactly like a missing image', async () => {
    const first = await generated('a cat');
    const second = await generated('a dog');
    const query = new URL(first.url, 'http://x').searchParams;
    const exp = query.get('exp')!;
    const sig = query.get('sig')!;
    const flipped = `${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
    const path = `/api/images/${first.key}`;

    const tampered = {
      signature: await answerOf(await anonymous(`${path}?exp=${exp}&sig=${flipped}`)),
      // The last character's unused bits: another spelling of the same MAC is still refused.
      spelling: await answerOf(await anonymous(`${path}?exp=${exp}&sig=${sig.slice(0, 42)}${sig[42] === 'A' ? 'B' : 'A'}`)),
      expiry: await answerOf(await anonymous(`${path}?exp=${Number(exp) + 3600}&sig=${sig}`)),
      missingSignature: await answerOf(await anonymous(`${path}?exp=${exp}`)),
      unsigned: await answerOf(await app.call('GET', path)), // even with the owner's bearer header
      emptySignature: await answerOf(await anonymous(`${path}?exp=${exp}&sig=`)),
    };
    // The other image's key with this image's signature: it exists, and it is refused.
    const otherKey = await answerOf(await anonymous(`/api/images/${second.key}?exp=${exp}&sig=${sig}`));
    clock += 1.25 * HOUR + 1000;
    const expired = await answerOf(await anonymous(first.url));

    // The same valid URLs once their images are gone: the answer of a missing image.
    clock -= 1.25 * HOUR + 1000;
    expect((await anonymous(first.url)).status).toBe(200);
    await app.engine.imageStore.delete(first.key);
    await app.engine.imageStore.delete(second.key);
    const missing = await answerOf(await anonymous(first.url));
    const missingOther = await answerOf(await anonymous(second.url));
    expect(missing).toMatchObject({ status: 404, body: expect.stringContaining('not_found') });

    for (const answer of [...Object.values(tampered), expired]) expect(answer).toEqual(missing);
    expect(otherKey).toEqual(missingOther);
  });

  it('refuses a URL signed with another secret', async () => {
    const { key } = await generated();
    const expiresAt = Math.floor(clock / 1000) + 600;
    const foreign = await createImageUrlSigner('another-secret-of-at-least-32-characters').sign(key, expiresAt);
    expect((await anonymous(`/api/images/${key}?exp=${expiresAt}&sig=${foreign}`)).status).toBe(404);
  });
});

describe('responses carry image URLs that load', () => {
  const loads = async (url: string) => {
    const response = await anonymous(url);
    return response.status === 200 && (response.headers.get('content-type') ?? '').startsWith('image/');
  };

  it('generate, records, batch status, process and the event stream; records keep the stable URL', async () => {
    const made = await generated();
    expect(await loads(made.url)).toBe(true);

    const { body: records } = await app.send('GET', '/api/records');
    expect(records.records[0].imageUrl).toMatch(/\?exp=\d+&sig=/);
    expect(await loads(records.records[0].imageUrl)).toBe(true);
    // Storage keeps the stable reference; the signature is made per response.
    const [stored] = (await app.engine.records.list('alice')).items;
    expect(stored!.imageUrl).toBe(made.url.split('?')[0]);

    const { body: created } = await app.send('POST', '/api/batch/generate', { body: { prompts: ['a', 'b'] } });
    const events = await readEvents(await app.call('GET', `/api/batch/events?batch_id=${created.batch_id}`));
    const eventUrls = events.flatMap((e) =>
      e.event === 'task' ? [e.data.result.imageUrl] : e.event === 'completed' ? e.data.tasks.map((t: any) => t.result.imageUrl) : [],
    );
    expect(eventUrls).toHaveLength(4);
    for (const url of eventUrls) expect(await loads(url)).toBe(true);

    const { body: status } = await app.send('GET', `/api/batch/status?batch_id=${created.batch_id}`);
    for (const task of status.tasks) expect(await loads(task.result.imageUrl)).toBe(true);
    const { body: processed } = await app.send('POST', '/api/batch/process', { body: { batch_id: created.batch_id, task_index: 1 } });
    expect(await loads(processed.result.imageUrl)).toBe(true);
    const stable = await app.engine.batches.status('alice', created.batch_id);
    expect(stable.tasks.map((t) => t.result!.imageUrl)).toEqual(status.tasks.map((t: any) => t.result.imageUrl.split('?')[0]));
  });

  it('a record read long after it was made, and an idempotent replay, get a fresh URL that loads', async () => {
    const first = await app.send('POST', '/api/generate', { body: { prompt: 'x' }, headers: { 'Idempotency-Key': 'k1' } });
    clock += 365 * 24 * HOUR;
    expect(await loads(first.body.image_url)).toBe(false);
    const replay = await app.send('POST', '/api/generate', { body: { prompt: 'x' }, headers: { 'Idempotency-Key': 'k1' } });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.image_url).not.toBe(first.body.image_url);
    expect(await loads(replay.body.image_url)).toBe(true);
    const { body: records } = await app.send('GET', '/api/records');
    expect(await loads(records.records[0].imageUrl)).toBe(true);
  });

  it('gives the same URL to every response within a quarter of its lifetime, so browsers reuse their copy', async () => {
    await generated();
    const read = async () => (await app.send('GET', '/api/records')).body.records[0].imageUrl as string;
    clock = Date.UTC(2027, 0, 1, 0, 0, 1);
    const a = await read();
    clock += 14 * 60_000;
    expect(await read()).toBe(a);
    clock += 2 * 60_000;
    expect(await read()).not.toBe(a);
  });
});

describe('imageUrlSecret', () => {
  const authenticate = () => ({ username: 'alice' });

  it('is required when the handler serves the images, with an error that names it', () => {
    expect(() => createRequestHandler({ engine: app.engine, authenticate })).toThrow(/imageUrlSecret: is required/);
    expect(() => createRequestHandler({ engine: app.engine, authenticate, imageUrlSecret: 'short' })).toThrow(
      /imageUrlSecret: must be a string of at least 32 characters/,
    );
    expect(() => createRequestHandler({ engine: app.engine, authenticate, imageUrlSecret: 'x'.repeat(32), imageUrlTtlSeconds: 0 })).toThrow(
      /imageUrlTtlSeconds/,
    );
  });

  it('is not needed with serveImages: false; responses keep the stored URL and the route is a 404', async () => {
    const handler = createRequestHandler({ engine: app.engine, authenticate, serveImages: false });
    const { key } = await generated();
    const response = await handler(new Request('http://test.local/api/records'));
    const { records } = (await response.json()) as { records: Array<{ imageUrl: string }> };
    expect(records[0]!.imageUrl).toBe(`/api/images/${key}`);
    expect((await handler(new Request(`http://test.local${(await generated()).url}`))).status).toBe(404);
  });

  it("is not needed when the store makes its own URLs: responses use the store's urlFor", async () => {
    const memory = createMemoryImageStore();
    const imageStore: ImageStore = { ...memory, urlFor: async (key) => `https://cdn.example/${key}?token=fresh` };
    const cdn = await createTestApp({ engine: { imageStore }, handler: { imageUrlSecret: undefined } });
    await cdn.grant('alice', 1);
    const { body } = await cdn.send('POST', '/api/generate', { body: { prompt: 'x' } });
    expect(body.image_url).toMatch(/^https:\/\/cdn\.example\/[^?]+\?token=fresh$/);
    expect((await cdn.engine.records.list('alice')).items[0]!.imageUrl).toMatch(/^\/api\/images\/[^?]+$/);
    await cdn.close();
  });
});
