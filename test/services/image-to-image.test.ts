import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createGuardedFetcher } from '../../src/adapters/input/guarded-fetch/index.js';
import {
  ConflictError,
  InsufficientCreditsError,
  isImageGenError,
  PayloadTooLargeError,
  ProviderError,
  TimeoutError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../../src/core/errors/index.js';
import type { ImageStore } from '../../src/core/ports/image-store.js';
import { b64, makeImage, pngHeader } from '../image-input/fixtures.js';
import { ledgerLines, testEngine } from './helpers.js';

let png: Uint8Array;
let dataUrl: string;
let server: http.Server;
let port: number;
let connections = 0;

beforeAll(async () => {
  png = await makeImage('png', 48, 32);
  dataUrl = `data:image/png;base64,${b64(png)}`;
  server = http.createServer((req, res) => {
    if (req.url === '/image.png') return void res.writeHead(200, { 'content-type': 'image/png' }).end(png);
    if (req.url?.startsWith('/redirect')) return void res.writeHead(302, { location: `http://127.0.0.1:${port}/image.png` }).end();
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.write(png);
      return void res.end(Buffer.alloc(11 * 1024 * 1024));
    }
    if (req.url === '/slow') return void res.writeHead(200, { 'content-type': 'image/png' }).write(png.slice(0, 10));
    res.writeHead(404).end();
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** The guarded fetcher as a host would configure it, with `images.test` standing for the local server. */
const guardedFetcher = () =>
  createGuardedFetcher({
    allowHttp: true,
    allowHosts: ['images.test'],
    timeoutMs: 300,
    resolve: async (host) => {
      if (host === 'images.test') return [{ address: '127.0.0.1', family: 4 }];
      if (host === 'metadata.test') return [{ address: '169.254.169.254', family: 4 }];
      throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    },
  });

describe('image-to-image', () => {
  it('charges 2, stores the image, writes the record with the contract fields and reports progress', async () => {
    const { engine, imageStore } = await testEngine();
    const progress: number[] = [];
    engine.events.on('generation:progress', (event) => progress.push(event.progress));
    const result = await engine.imageToImage.run('alice', {
      prompt: 'make it blue',
      input_image: dataUrl,
      image_prompt_strength: 0.7,
      aspect_ratio: '16:9',
      seed: 42,
      output_format: 'webp',
    });
    expect(result.replayed).toBe(false);
    expect(result.creditsRemaining).toBe(8);
    expect(result.record).toMatchObject({
      username: 'alice',
      type: 'image_to_image',
      prompt: 'make it blue',
      aspectRatio: '16:9',
      seed: 42,
      imagePromptStrength: 0.7,
    });
    expect(result.record.recordId).toMatch(/^record:alice:\d+$/);
    expect(result.record.requestId).toMatch(/^offline-/);
    const key = imageStore.keyFromUrl(result.record.imageUrl)!;
    const stored = await imageStore.get(key);
    expect(stored).toMatchObject({ contentType: 'image/webp', owner: 'alice' });
    expect((await sharp(stored!.bytes).metadata()).format).toBe('webp');
    expect(await engine.records.get('alice', result.record.recordId)).toEqual(result.record);
    expect(await ledgerLines(engine)).toEqual(['grant 10', 'charge -2']);
    expect(progress[0]).toBe(10);
    expect(progress.at(-1)).toBe(100);
    expect(progress).toContain(30);
  });

  it('defaults strength to 0.5, aspect ratio 1:1, png and no seed', async () => {
    const { engine } = await testEngine();
    const { record } = await engine.imageToImage.run('alice', { prompt: 'x', input_image: dataUrl });
    expect(record).toMatchObject({ imagePromptStrength: 0.5, aspectRatio: '1:1', seed: null, outputFormat: 'png' });
  });

  it('fetches a URL input through the host fetcher before charging anything', async () => {
    const { engine } = await testEngine();
    const fetcher = vi.fn(async () => {
      expect(await engine.credits.balance('alice')).toBe(10);
      return { bytes: png, contentType: 'image/png' };
    });
    const { engine: withFetcher } = await testEngine({ fetchInputImage: fetcher, storage: engine.storage });
    await withFetcher.imageToImage.run('alice', { prompt: 'x', input_image: 'https://images.example/cat.png' });
    expect(fetcher).toHaveBeenCalledWith('https://images.example/cat.png', expect.objectContaining({ signal: expect.any(AbortSignal) }));
    expect(await withFetcher.credits.balance('alice')).toBe(8);
  });

  it('runs end to end with the guarded fetcher against an allowed host', async () => {
    const { engine } = await testEngine({ fetchInputImage: guardedFetcher() });
    const { record } = await engine.imageToImage.run('alice', { prompt: 'x', input_image: `http://images.test:${port}/image.png` });
    expect(record.type).toBe('image_to_image');
  });

  describe('bad input charges nothing and stores nothing', () => {
    const jpegHeaderHtml = () =>
      b64(
        new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, ...new TextEncoder().encode('JFIF\0<html><script>alert(1)</script></html>')]),
      );
    const cases: [string, () => unknown, new (...args: never[]) => Error, string?][] = [
      ['no prompt', () => ({ input_image: dataUrl }), ValidationError, 'prompt'],
      ['an empty prompt', () => ({ prompt: '   ', input_image: dataUrl }), ValidationError, 'prompt'],
      ['a prompt over 2000 characters', () => ({ prompt: 'x'.repeat(2001), input_image: dataUrl }), ValidationError, 'prompt'],
      ['no input image', () => ({ prompt: 'x' }), ValidationError, 'input_image'],
      [
        'strength above 1',
        () => ({ prompt: 'x', input_image: dataUrl, image_prompt_strength: 1.01 }),
        ValidationError,
        'image_prompt_strength',
      ],
      [
        'strength below 0',
        () => ({ prompt: 'x', input_image: dataUrl, image_prompt_strength: -0.1 }),
        ValidationError,
        'image_prompt_strength',
      ],
      [
        'strength as text',
        () => ({ prompt: 'x', input_image: dataUrl, image_prompt_strength: '0.5' }),
        ValidationError,
        'image_prompt_strength',
      ],
      ['an unknown aspect ratio', () => ({ prompt: 'x', input_image: dataUrl, aspect_ratio: '5:4' }), ValidationError, 'aspect_ratio'],
      ['a fractional seed', () => ({ prompt: 'x', input_image: dataUrl, seed: 1.5 }), ValidationError, 'seed'],
      ['an unknown output format', () => ({ prompt: 'x', input_image: dataUrl, output_format: 'gif' }), ValidationError, 'output_format'],
      ['plain base64 without data:', () => ({ prompt: 'x', input_image: b64(png) }), ValidationError, 'input_image'],
      [
        'whitespace in the data URL',
        () => ({ prompt: 'x', input_image: `${dataUrl.slice(0, 40)}\n${dataUrl.slice(40)}` }),
        ValidationError,
        'input_image',
      ],
      [
        'base64url in the data URL',
        () => ({ prompt: 'x', input_image: dataUrl.replaceAll('+', '-').replaceAll('/', '_') }),
        ValidationError,
        'input_image',
      ],
      ['bad padding in the data URL', () => ({ prompt: 'x', input_image: `${dataUrl}=` }), ValidationError, 'input_image'],
      [
        'a charset parameter',
        () => ({ prompt: 'x', input_image: dataUrl.replace(';base64', ';charset=utf-8;base64') }),
        ValidationError,
        'input_image',
      ],
      [
        'non-base64 payload',
        () => ({ prompt: 'x', input_image: 'data:image/png;base64,<svg onload=alert(1)>' }),
        ValidationError,
        'input_image',
      ],
      [
        'a PNG sent as image/jpeg',
        () => ({ prompt: 'x', input_image: dataUrl.replace('image/png', 'image/jpeg') }),
        UnsupportedMediaTypeError,
      ],
      [
        'HTML behind a JPEG header',
        () => ({ prompt: 'x', input_image: `data:image/jpeg;base64,${jpegHeaderHtml()}` }),
        UnsupportedMediaTypeError,
      ],
      [
        'an SVG data URL',
        () => ({ prompt: 'x', input_image: `data:image/svg+xml;base64,${b64(new TextEncoder().encode('<svg/>'))}` }),
        UnsupportedMediaTypeError,
      ],
      [
        '10 MiB + 1 byte',
        () => ({ prompt: 'x', input_image: `data:image/png;base64,${b64(padTo(png, 10 * 1024 * 1024 + 1))}` }),
        PayloadTooLargeError,
      ],
      [
        'a 14000×14000 PNG',
        () => ({ prompt: 'x', input_image: `data:image/png;base64,${b64(pngHeader(14000, 14000, 400))}` }),
        PayloadTooLargeError,
      ],
      ['a file: URL', () => ({ prompt: 'x', input_image: 'file:///etc/passwd' }), ValidationError, 'input_image'],
      ['a gopher: URL', () => ({ prompt: 'x', input_image: 'gopher://127.0.0.1:6379/_FLUSHALL' }), ValidationError, 'input_image'],
      [
        'a data: URL of HTML',
        () => ({ prompt: 'x', input_image: 'data:text/html,<script>alert(1)</script>' }),
        ValidationError,
        'input_image',
      ],
    ];
    it.each(cases)('%s', async (_, body, errorClass, field) => {
      const { engine, provider, imageStore } = await testEngine();
      const error = await engine.imageToImage.run('alice', body()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(errorClass);
      if (field) expect((error as ValidationError).field).toBe(field);
      await expectNothingHappened(engine, provider, imageStore);
    });

    it('a URL when the host configured no fetcher', async () => {
      const { engine, provider, imageStore } = await testEngine();
      const error = await engine.imageToImage
        .run('alice', { prompt: 'x', input_image: `https://images.example/a.png` })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).message).toMatch(/data URL/);
      await expectNothingHappened(engine, provider, imageStore);
    });

    it.each([
      ['loopback as 127.1', () => `http://127.1:${port}/image.png`, 'blocked_address'],
      ['loopback as 2130706433', () => `http://2130706433:${port}/image.png`, 'blocked_address'],
      ['loopback as [::ffff:7f00:1]', () => `http://[::ffff:7f00:1]:${port}/image.png`, 'blocked_address'],
      ['cloud metadata by name', () => 'http://metadata.test/latest/meta-data/', 'blocked_address'],
      ['a private literal', () => 'https://10.0.0.1/x.png', 'blocked_address'],
      ['a redirect from an allowed host to loopback', () => `http://images.test:${port}/redirect`, 'blocked_address'],
      ['a slow body', () => `http://images.test:${port}/slow`, 'timeout'],
    ])('a URL to %s (guarded fetcher)', async (_, url, reason) => {
      const { engine, provider, imageStore } = await testEngine({ fetchInputImage: guardedFetcher() });
      connections = 0;
      const error = await engine.imageToImage.run('alice', { prompt: 'x', input_image: url() }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).details.reason).toBe(reason);
      if (reason === 'blocked_address' && !url().includes('images.test')) expect(connections).toBe(0);
      await expectNothingHappened(engine, provider, imageStore);
    });

    it('an over-size body at a URL (guarded fetcher)', async () => {
      const { engine, provider, imageStore } = await testEngine({ fetchInputImage: guardedFetcher() });
      const error = await engine.imageToImage
        .run('alice', { prompt: 'x', input_image: `http://images.test:${port}/big` })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PayloadTooLargeError);
      await expectNothingHappened(engine, provider, imageStore);
    });

    it('a prompt the host moderation rejects, with its reason', async () => {
      const { engine, provider, imageStore } = await testEngine({
        moderatePrompt: (prompt) => (prompt.includes('forbidden') ? 'not allowed here' : null),
      });
      const error = await engine.imageToImage
        .run('alice', { prompt: 'something forbidden', input_image: dataUrl })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).message).toBe('prompt: rejected: not allowed here');
      await expectNothingHappened(engine, provider, imageStore);
    });

    it('a username that would make an id ambiguous', async () => {
      const { engine, provider, imageStore } = await testEngine();
      await expect(engine.imageToImage.run('al:ice', { prompt: 'x', input_image: dataUrl })).rejects.toBeInstanceOf(ValidationError);
      await expectNothingHappened(engine, provider, imageStore);
    });

    it('not enough credits: 402 with required and available', async () => {
      const { engine, provider, imageStore } = await testEngine({ credits: 1 });
      const error = await engine.imageToImage.run('alice', { prompt: 'x', input_image: dataUrl }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InsufficientCreditsError);
      expect(error).toMatchObject({ required: 2, available: 1 });
      expect(await ledgerLines(engine)).toEqual(['grant 1']);
      expect(provider.calls.submit).toBe(0);
      expect(imageStore.size).toBe(0);
    });
  });

  describe('refunds exactly once on any failure after the charge', () => {
    it('a provider that fails once: 2 refunded, one charge and one refund, and the next call works', async () => {
      let failures = 0;
      const { engine, imageStore } = await testEngine({
        provider: { failWhen: () => (failures++ === 0 ? { reason: 'provider_error', message: 'GPU on fire' } : null) },
      });
      const error = await engine.imageToImage.run('alice', { prompt: 'x', input_image: dataUrl }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).details).toMatchObject({ credits_refunded: 2, credits_remaining: 10 });
      expect(await ledgerLines(engine)).toEqual(['grant 10', 'charge -2', 'refund 2']);
      expect(imageStore.size).toBe(0);
      expect((await engine.records.list('alice')).items).toEqual([]);
      await engine.imageToImage.run('alice', { prompt: 'x', input_image: dataUrl });
      expect(await engine.credits.balance('alice')).toBe(8);
    });

    it('a provider that times out: 2 refunded with a 504', async () => {
      const { engine } = await testEngine({ provider: { pollsBeforeReady: 1000, pollPolicy: { maxPolls: 3, pollIntervalMs: 1 } } });
      const error = await engine.imageToImage.run('alice', { prompt: 'x', input_image: dataUrl }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as TimeoutError).status).toBe(504);
      expect(await ledgerLines(engine)).toEqual(['grant 10', 'charge -2', 'refund 2']);
      expect(await engine.credits.balance('alice')).toBe(10);
    });

    it('a failure reported twice (a duplicate report, a retried process) refunds once', async () => {
      const { engine } = await testEngine({ provider: { failWhen: () => ({ reason: 'moderated_output', message: 'flagged' }) } });
      const chargeKeys: string[] = [];
      engine.events.on('credits:changed', (event) => event.kind === 'charge' && chargeKeys.push(event.idempotencyKey));
      await expect(engine.imageToImage.run('alice', { prompt: 'x', input_image: dataUrl })).rejects.toBeInstanceOf(ProviderError);
      const second = await engine.credits.refund('alice', chargeKeys[0]!, 'reported again');
      expect(second.replayed).toBe(true);
      expect(await ledgerLines(engine)).toEqual(['grant 10', 'charge -2', 'refund 2']);
      expect(await engine.credits.balance('alice')).toBe(10);
    });

    it('an image store that fails: refunded, no record', async () => {
      const failing: ImageStore = {
        put: async () => {
          throw new Error('disk full');
        },
        get: async () => null,
        delete: async () => {},
        keyFromUrl: () => null,
      };
      const { engine } = await testEngine({ imageStore: failing });
      const error = await engine.imageToImage.run('alice', { prompt: 'x', input_image: dataUrl }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'provider_error', reason: 'store_failed' });
      expect(await ledgerLines(engine)).toEqual(['grant 10', 'charge -2', 'refund 2']);
      expect((await engine.records.list('alice')).items).toEqual([]);
    });

    it('a record write that fails: refunded, and the stored image removed', async () => {
      const { engine: base, storage } = await testEngine();
      const broken = Object.create(storage) as typeof storage;
      broken.createRecord = async () => {
        throw new Error('connection reset');
      };
      const { engine, imageStore } = await testEngine({ storage: broken, credits: 0 });
      await base.credits.grant('alice', 10, { idempotencyKey: 'welcome' });
      const error = await engine.imageToImage.run('alice', { prompt: 'x', input_image: dataUrl }).catch((e: unknown) => e);
      expect(isImageGenError(error)).toBe(true);
      expect(error).toMatchObject({ reason: 'store_failed' });
      expect(await ledgerLines(engine)).toEqual(['grant 10', 'charge -2', 'refund 2']);
      expect(imageStore.size).toBe(0);
    });

    it('a caller that goes away mid-generation: refunded', async () => {
      const { engine } = await testEngine({ provider: { pollsBeforeReady: 1000, pollPolicy: { maxPolls: 1000, pollIntervalMs: 5 } } });
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('client disconnected')), 30);
      await expect(engine.imageToImage.run('alice', { prompt: 'x', input_image: dataUrl }, { signal: controller.signal })).rejects.toThrow(
        'client disconnected',
      );
      expect(await ledgerLines(engine)).toEqual(['grant 10', 'charge -2', 'refund 2']);
    });
  });

  describe('idempotency', () => {
    it('same key and same body replays the first result without a second charge', async () => {
      const { engine, provider } = await testEngine();
      const body = { prompt: 'x', input_image: dataUrl, seed: 1 };
      const first = await engine.imageToImage.run('alice', body, { idempotencyKey: 'k1' });
      const again = await engine.imageToImage.run('alice', { ...body }, { idempotencyKey: 'k1' });
      expect(again).toEqual({ ...first, replayed: true });
      expect(provider.calls.submit).toBe(1);
      expect(await ledgerLines(engine)).toEqual(['grant 10', 'charge -2']);
    });

    it('same key and another body is a 409 conflict that charges nothing', async () => {
      const { engine } = await testEngine();
      await engine.imageToImage.run('alice', { prompt: 'x', input_image: dataUrl }, { idempotencyKey: 'k2' });
      const error = await engine.imageToImage
        .run('alice', { prompt: 'y', input_image: dataUrl }, { idempotencyKey: 'k2' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect(error).toMatchObject({ status: 409, reason: 'idempotency_mismatch' });
      expect(await engine.credits.balance('alice')).toBe(8);
    });

    it('uses the fingerprint the HTTP layer passes when there is one', async () => {
      const { engine } = await testEngine();
      await engine.imageToImage.run('alice', { prompt: 'x', input_image: dataUrl }, { idempotencyKey: 'k3', fingerprint: 'hash-a' });
      await expect(
        engine.imageToImage.run('alice', { prompt: 'x', input_image: dataUrl }, { idempotencyKey: 'k3', fingerprint: 'hash-b' }),
      ).rejects.toBeInstanceOf(ConflictError);
    });

    it('a request still running with the same key is a conflict, not a second charge', async () => {
      const { engine } = await testEngine({ provider: { pollsBeforeReady: 5, pollPolicy: { pollIntervalMs: 10 } } });
      const body = { prompt: 'x', input_image: dataUrl };
      const results = await Promise.allSettled([
        engine.imageToImage.run('alice', body, { idempotencyKey: 'k4' }),
        engine.imageToImage.run('alice', body, { idempotencyKey: 'k4' }),
      ]);
      // Either may claim the key first (the fingerprints are hashed on the thread pool).
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { reason: 'idempotency_in_progress' } });
      expect(await engine.credits.balance('alice')).toBe(8);
    });

    it('after a refunded failure the same key may be tried again (and is charged again)', async () => {
      let failures = 0;
      const { engine } = await testEngine({
        provider: { failWhen: () => (failures++ === 0 ? { reason: 'provider_error', message: 'boom' } : null) },
      });
      const body = { prompt: 'x', input_image: dataUrl };
      await expect(engine.imageToImage.run('alice', body, { idempotencyKey: 'k5' })).rejects.toBeInstanceOf(ProviderError);
      const second = await engine.imageToImage.run('alice', body, { idempotencyKey: 'k5' });
      expect(second.replayed).toBe(false);
      expect(await ledgerLines(engine)).toEqual(['grant 10', 'charge -2', 'refund 2', 'charge -2']);
    });
  });
});

async function expectNothingHappened(
  engine: Awaited<ReturnType<typeof testEngine>>['engine'],
  provider: { calls: { submit: number } },
  imageStore: { size?: number },
): Promise<void> {
  expect(await engine.credits.balance('alice')).toBe(10);
  expect(await ledgerLines(engine)).toEqual(['grant 10']);
  expect(provider.calls.submit).toBe(0);
  expect(imageStore.size).toBe(0);
  expect((await engine.records.list('alice')).items).toEqual([]);
}

function padTo(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(bytes);
  return out;
}
