import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3ImageStore } from '../../src/adapters/image-stores/s3/index.js';
import { type S3TestServer, startS3TestServer } from '../image-stores/s3-test-server.js';
import { createTestApp, type TestApp } from './app.js';

let server: S3TestServer;
let app: TestApp;
beforeAll(async () => {
  server = await startS3TestServer();
  const imageStore = createS3ImageStore({
    endpoint: server.endpoint,
    region: server.region,
    bucket: server.bucket,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    forcePathStyle: true,
    keyPrefix: 'handler/',
  });
  // No imageUrlSecret: the store makes its own URLs.
  app = await createTestApp({ engine: { imageStore }, handler: { imageUrlSecret: undefined } });
  await app.grant('alice', 5);
});
afterAll(async () => {
  await app?.close();
  await server?.close();
});

describe('a handler over the S3 store', () => {
  it('answers with presigned GETs made per response, which load from the bucket with no header', async () => {
    const { body } = await app.send('POST', '/api/generate', { body: { prompt: 'a heron' } });
    expect(body.image_url).toMatch(new RegExp(`^${server.endpoint}/${server.bucket}/handler/[^?]+\\?.*X-Amz-Signature=`));
    const image = await fetch(body.image_url);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(new Uint8Array(await image.arrayBuffer()).subarray(1, 4)).toEqual(new TextEncoder().encode('PNG'));

    const { body: records } = await app.send('GET', '/api/records');
    expect((await fetch(records.records[0].imageUrl)).status).toBe(200);
    // The handler serves none of them itself.
    const key = app.engine.imageStore.keyFromUrl(body.image_url)!;
    expect((await app.call('GET', `/api/images/${key}`, { user: null })).status).toBe(404);
    expect(server.refused).toEqual([]);
  });
});
