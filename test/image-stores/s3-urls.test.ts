import { describe, expect, it } from 'vitest';
import { createS3ImageStore, type S3ImageStoreOptions } from '../../src/adapters/image-stores/s3/index.js';
import { ValidationError } from '../../src/core/errors/validation-error.js';
import { verifySigV4 } from './sigv4-verifier.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret/EXAMPLE+key', region: 'eu-west-1' };
const aws = (options: Partial<S3ImageStoreOptions> = {}) =>
  createS3ImageStore({
    endpoint: 'https://s3.eu-west-1.amazonaws.com',
    bucket: 'my-images',
    keyPrefix: 'img/',
    ...credentials,
    ...options,
  });
/** The signature check of the test server, applied to a URL as the host would receive it. */
const verify = (url: string, method = 'GET', headers: Record<string, string> = {}) => {
  const parsed = new URL(url);
  return verifySigV4({ method, rawUrl: `${parsed.pathname}${parsed.search}`, headers: { host: parsed.host, ...headers } }, credentials);
};

describe('S3 image store URLs (no server)', () => {
  it('builds virtual-hosted URLs by default: {bucket}.{endpoint host}/{prefix}{key}, presigned for an hour', async () => {
    const url = new URL(await aws().urlFor('a+b.png'));
    expect(`${url.origin}${url.pathname}`).toBe('https://my-images.s3.eu-west-1.amazonaws.com/img/a%2Bb.png');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request$/);
    expect(verify(url.href)).toEqual({ ok: true });
    expect(aws().keyFromUrl(url.href)).toBe('a+b.png');
  });

  it('builds path-style URLs with forcePathStyle, keeping a base path of the endpoint', async () => {
    const minio = aws({ endpoint: 'http://127.0.0.1:9000', forcePathStyle: true });
    expect((await minio.urlFor('x.png')).split('?')[0]).toBe('http://127.0.0.1:9000/my-images/img/x.png');
    const gateway = aws({ endpoint: 'https://gw.example/s3/', forcePathStyle: true });
    const url = await gateway.urlFor('x.png');
    expect(url.split('?')[0]).toBe('https://gw.example/s3/my-images/img/x.png');
    expect(verify(url)).toEqual({ ok: true });
    expect(gateway.keyFromUrl(url)).toBe('x.png');
    expect(gateway.keyFromUrl('https://gw.example/my-images/img/x.png')).toBeNull();
  });

  it('answers with {publicBaseUrl}/{keyPrefix}{key}, unsigned, when the bucket is public or behind a CDN', async () => {
    const cdn = aws({ publicBaseUrl: 'https://cdn.example/assets/' });
    expect(await cdn.urlFor('a+b@c.png')).toBe('https://cdn.example/assets/img/a%2Bb%40c.png');
    const stored = await createS3ImageStore({
      endpoint: 'https://r2.example',
      bucket: 'pub',
      ...credentials,
      region: 'auto',
      publicBaseUrl: 'https://images.example',
      fetch: async () => new Response(null, { status: 200 }),
    }).put(new Uint8Array([1]), { contentType: 'image/png', owner: 'o', key: 'k.png' });
    expect(stored.url).toBe('https://images.example/k.png');
  });

  it('signs a PUT with the content type, the percent-encoded owner and SigV4 headers, through the fetch it is given', async () => {
    const sent: Request[] = [];
    const store = aws({
      fetch: async (input) => {
        sent.push(input as Request);
        return new Response(null, { status: 200 });
      },
    });
    await store.put(new Uint8Array([1, 2]), { contentType: 'image/png', owner: 'Zoë', key: 'k.png' });
    const [request] = sent;
    expect(request!.method).toBe('PUT');
    expect(request!.url).toBe('https://my-images.s3.eu-west-1.amazonaws.com/img/k.png');
    expect(request!.headers.get('content-type')).toBe('image/png');
    expect(request!.headers.get('x-amz-meta-owner')).toBe('Zo%C3%AB');
    expect(request!.headers.get('x-amz-content-sha256')).toBe('UNSIGNED-PAYLOAD');
    const headers = Object.fromEntries(request!.headers);
    expect(verify(request!.url, 'PUT', headers)).toEqual({ ok: true });
    expect(new Uint8Array(await request!.arrayBuffer())).toEqual(new Uint8Array([1, 2]));
  });

  it('takes urlExpiresInSeconds from 1 to 604800, and refuses bad endpoints, buckets and prefixes with a ValidationError', async () => {
    expect(new URL(await aws({ urlExpiresInSeconds: 600 }).urlFor('x.png')).searchParams.get('X-Amz-Expires')).toBe('600');
    const bad: Partial<S3ImageStoreOptions>[] = [
      { urlExpiresInSeconds: 0 },
      { urlExpiresInSeconds: 604_801 },
      { urlExpiresInSeconds: 1.5 },
      { endpoint: 'not a url' },
      { endpoint: 'ftp://s3.example' },
      { endpoint: 'https://s3.example/?x=1' },
      { bucket: 'Bad_Bucket' },
      { keyPrefix: '/abs/' },
      { keyPrefix: 'a/../b/' },
      { publicBaseUrl: 'cdn.example' },
      { region: '' },
      { secretAccessKey: '' },
    ];
    for (const options of bad) expect(() => aws(options), JSON.stringify(options)).toThrow(ValidationError);
    await expect(aws().urlFor('../x.png')).rejects.toThrow(ValidationError);
  });
});
