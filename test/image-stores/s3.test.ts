import { AwsClient } from 'aws4fetch';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createS3ImageStore, S3RequestError, type S3ImageStoreOptions } from '../../src/adapters/image-stores/s3/index.js';
import { runImageStoreSuite } from './image-store-suite.js';
import { type S3TestServer, startS3TestServer } from './s3-test-server.js';

let server: S3TestServer;
let prefixes = 0;
beforeAll(async () => {
  server = await startS3TestServer();
});
afterAll(async () => {
  await server?.close();
});

/** A store on the test server; each gets its own key prefix, so tests never see each other's objects. */
const storeOn = (options: Partial<S3ImageStoreOptions> = {}) =>
  createS3ImageStore({
    endpoint: server.endpoint,
    region: server.region,
    bucket: server.bucket,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    forcePathStyle: true,
    keyPrefix: `t${++prefixes}/`,
    ...options,
  });

// Presigned URLs carry the second they were signed in: steps that compare URLs see one frozen instant.
runImageStoreSuite(
  's3 (s3rver)',
  async () => storeOn(),
  async (steps) => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    try {
      return await steps();
    } finally {
      vi.useRealTimers();
    }
  },
);

describe('S3 image store against s3rver', () => {
  it('round-trips bytes, content type and a non-ASCII owner as object metadata', async () => {
    const store = storeOn();
    const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256);
    const stored = await store.put(bytes, { contentType: 'image/webp', owner: 'Zoë ü+%/ 42' });
    expect(stored).toMatchObject({ contentType: 'image/webp', size: 70_000 });
    const read = await store.get(stored.key);
    expect(read!.contentType).toBe('image/webp');
    expect(read!.owner).toBe('Zoë ü+%/ 42');
    expect(Buffer.from(read!.bytes).equals(Buffer.from(bytes))).toBe(true);
    expect(server.refused).toEqual([]);
  });

  it('reads a missing key as null, and a key written by another instance (a restart) as the image', async () => {
    const store = storeOn({ keyPrefix: 'shared/' });
    expect(await store.get('never-written.png')).toBeNull();
    await store.put(new Uint8Array([9, 8, 7]), { contentType: 'image/png', owner: 'ann', key: 'kept.png' });
    const later = storeOn({ keyPrefix: 'shared/' });
    expect(await later.get('kept.png')).toEqual({ bytes: new Uint8Array([9, 8, 7]), contentType: 'image/png', owner: 'ann' });
  });

  it('signs object keys with odd characters (space, unicode, +, %, parentheses) so the server verifies and stores them exactly', async () => {
    const keyPrefix = "odd dir/ü %+(x)*!'/";
    const store = storeOn({ keyPrefix });
    const key = 'a+b@c_1.2-3.png';
    const stored = await store.put(new Uint8Array([1, 2, 3]), { contentType: 'image/png', owner: 'odd' });
    await store.put(new Uint8Array([4, 5]), { contentType: 'image/png', owner: 'odd', key });
    expect(server.refused).toEqual([]);
    expect((await store.get(key))!.bytes).toEqual(new Uint8Array([4, 5]));
    expect(store.keyFromUrl(await store.urlFor(key))).toBe(key);
    expect(await (await fetch(await store.urlFor(key))).arrayBuffer()).toEqual(new Uint8Array([4, 5]).buffer);

    // The bucket listing shows the object under its exact name: the prefix decoded once, "+" kept.
    const client = new AwsClient({
      accessKeyId: server.accessKeyId,
      secretAccessKey: server.secretAccessKey,
      region: server.region,
      service: 's3',
    });
    const listing = await (
      await fetch(await client.sign(`${server.endpoint}/${server.bucket}?prefix=${encodeURIComponent('odd dir/')}`))
    ).text();
    const keys = [...listing.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]!.replace(/&#x27;/g, "'"));
    expect(keys.sort()).toEqual([`${keyPrefix}${key}`, `${keyPrefix}${stored.key}`].sort());
  });

  it('hands out presigned GET URLs that plain fetch loads without an Authorization header; the unsigned object URL is refused', async () => {
    const store = storeOn();
    const stored = await store.put(new Uint8Array([5, 6, 7, 8]), { contentType: 'image/jpeg', owner: 'bob' });
    const url = new URL(stored.url);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    const response = await fetch(stored.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(new Uint8Array([5, 6, 7, 8]));
    const bare = await fetch(`${url.origin}${url.pathname}`);
    expect(bare.status).toBe(403);
    await bare.body?.cancel();
  });

  it('makes a fresh working URL for a stored key at any time (urlFor), valid for urlExpiresInSeconds', async () => {
    const store = storeOn({ urlExpiresInSeconds: 120 });
    const { key } = await store.put(new Uint8Array([1]), { contentType: 'image/png', owner: 'cy' });
    const url = await store.urlFor(key);
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('120');
    expect((await fetch(url)).status).toBe(200);
  });

  it('is refused by the server when the signature is tampered with, the URL points at another key, or it has expired', async () => {
    const store = storeOn();
    const a = await store.put(new Uint8Array([1]), { contentType: 'image/png', owner: 'eve', key: 'a.png' });
    await store.put(new Uint8Array([2]), { contentType: 'image/png', owner: 'eve', key: 'b.png' });
    const tampered = new URL(a.url);
    const signature = tampered.searchParams.get('X-Amz-Signature')!;
    tampered.searchParams.set('X-Amz-Signature', `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`);
    const otherKey = a.url.replace('/a.png?', '/b.png?');
    const longer = new URL(a.url);
    longer.searchParams.set('X-Amz-Expires', '604800');

    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() - 2 * 3600_000);
    const expired = await store.urlFor('a.png'); // signed two hours ago, valid for one
    vi.useRealTimers();

    server.refused.length = 0;
    for (const url of [tampered.href, otherKey, longer.href, expired]) {
      const response = await fetch(url);
      expect(response.status, url).toBe(403);
      await response.body?.cancel();
    }
    expect(server.refused.map((v) => !v.ok && v.reason)).toEqual(['signature', 'signature', 'signature', 'expired']);
    expect((await fetch(a.url)).status).toBe(200);
  });

  it('fails with an S3RequestError naming the operation and S3 code, never the secret, when the server refuses or cannot be reached', async () => {
    const secret = 'wrong-secret-do-not-print';
    const wrongSecret = storeOn({ secretAccessKey: secret });
    const put = wrongSecret.put(new Uint8Array([1]), { contentType: 'image/png', owner: 'x' });
    await expect(put).rejects.toBeInstanceOf(S3RequestError);
    await expect(put).rejects.toThrow(/S3 PUT images\/t\d+\/.+\.png failed: HTTP 403 SignatureDoesNotMatch/);
    const error = await wrongSecret.get('x.png').catch((e: unknown) => e as S3RequestError);
    expect(error).toMatchObject({ name: 'S3RequestError', status: 403, s3Code: 'SignatureDoesNotMatch', operation: 'GET' });
    expect(JSON.stringify({ message: (error as Error).message, ...(error as object) })).not.toContain(secret);

    const noBucket = storeOn({ bucket: 'no-such-bucket' });
    await expect(noBucket.put(new Uint8Array([1]), { contentType: 'image/png', owner: 'x' })).rejects.toMatchObject({
      status: 404,
      s3Code: 'NoSuchBucket',
    });
    const unreachable = storeOn({ endpoint: 'http://127.0.0.1:1' });
    await expect(unreachable.get('x.png')).rejects.toMatchObject({ name: 'S3RequestError', status: 0 });
  });

  it('recognises its own URLs (presigned, unsigned, public) and nothing else', async () => {
    const store = storeOn({ keyPrefix: 'own/' });
    const presigned = await store.urlFor('k1.png');
    expect(store.keyFromUrl(presigned)).toBe('k1.png');
    expect(store.keyFromUrl(`${server.endpoint}/${server.bucket}/own/k%2B1.png`)).toBe('k+1.png');
    for (const foreign of [
      `${server.endpoint}/${server.bucket}/other/k1.png`,
      `${server.endpoint}/other-bucket/own/k1.png`,
      `http://localhost:1/${server.bucket}/own/k1.png`,
      `${server.endpoint}/${server.bucket}/own/../own2/k1.png`,
      `${server.endpoint}/${server.bucket}/own/%2e%2e%2Fsecret.png`,
      `${server.endpoint}/${server.bucket}/own/a%2Fb.png`,
      `${server.endpoint}/${server.bucket}/own/`,
      `${server.endpoint}/${server.bucket}/own/%E0%A4%A.png`,
      '/api/images/k1.png',
      'not a url',
    ])
      expect(store.keyFromUrl(foreign), foreign).toBeNull();
    const cdn = storeOn({ keyPrefix: 'own/', publicBaseUrl: 'https://cdn.example/assets/' });
    expect(cdn.keyFromUrl('https://cdn.example/assets/own/k1.png')).toBe('k1.png');
    expect(cdn.keyFromUrl(presigned)).toBe('k1.png');
    expect(cdn.keyFromUrl('https://cdn.example/own/k1.png')).toBeNull();
  });
});
