import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './app.js';

let app: TestApp;
let png: Buffer;
beforeEach(async () => {
  app = await createTestApp({
    provider: {
      failWhen: (input) => (input.prompt.includes('broken') ? { reason: 'provider_error', message: 'The provider failed this one' } : null),
    },
  });
  await app.grant('alice', 10);
  png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#cc3344' } })
    .png()
    .toBuffer();
});
afterEach(() => app.close());

const upload = (bytes: Uint8Array, type = 'image/png', field = 'image') => {
  const form = new FormData();
  form.append(field, new Blob([bytes as Uint8Array<ArrayBuffer>], { type }), 'file.png');
  return app.send('POST', '/api/upload-image', { body: form });
};
const dataUrl = () => `data:image/png;base64,${png.toString('base64')}`;

describe('POST /api/upload-image', () => {
  it('answers with exactly message, data_url, size and type, decided by the bytes', async () => {
    const { status, body } = await upload(png);
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['data_url', 'message', 'size', 'type']);
    expect(body).toEqual({ message: '上传成功', data_url: dataUrl(), size: png.byteLength, type: 'image/png' });
  });

  it('415 for a file that is not a JPEG, PNG or WebP, whatever it is called', async () => {
    const { status, body } = await upload(new TextEncoder().encode('GIF89a not really'), 'image/png');
    expect(status).toBe(415);
    expect(body).toMatchObject({ code: 'unsupported_media_type' });
  });

  it('413 for a file over the limit, and 400 when the field is missing', async () => {
    const small = await createTestApp({ handler: { maxImageBytes: 1024 } });
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(200 * 1024)], { type: 'image/png' }), 'big.png');
    const big = await small.send('POST', '/api/upload-image', { body: form });
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ code: 'payload_too_large' });
    await small.close();
    expect((await upload(png, 'image/png', 'file')).body).toMatchObject({ code: 'validation', field: 'image' });
  });
});

describe('POST /api/image-to-image', () => {
  it('charges 2 credits and answers with exactly message, request_id, image_url, credits_remaining', async () => {
    const { status, body } = await app.send('POST', '/api/image-to-image', {
      body: {
        prompt: 'as a watercolor',
        input_image: dataUrl(),
        image_prompt_strength: 0.6,
        aspect_ratio: '4:3',
        seed: 3,
        output_format: 'jpeg',
      },
    });
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['credits_remaining', 'image_url', 'message', 'request_id']);
    expect(body).toMatchObject({
      message: '改图成功',
      request_id: expect.any(String),
      image_url: expect.stringMatching(/^\/api\/images\/[^?]+\?exp=\d+&sig=[\w-]{43}$/),
      credits_remaining: 8,
    });
    // The URL loads with no Authorization header, as an <img src> would load it.
    const image = await app.call('GET', body.image_url, { user: null });
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/jpeg');

    const { body: records } = await app.send('GET', '/api/records');
    expect(records.records[0]).toMatchObject({
      type: 'image_to_image',
      prompt: 'as a watercolor',
      imageUrl: expect.stringMatching(/\?exp=\d+&sig=/),
      requestId: body.request_id,
      aspectRatio: '4:3',
      seed: 3,
      imagePromptStrength: 0.6,
    });
    expect(records.next_cursor).toBeNull();
  });

  it('402 with required and available when the user cannot pay', async () => {
    await app.grant('poor', 1);
    const { status, body } = await app.send('POST', '/api/image-to-image', { user: 'poor', body: { prompt: 'x', input_image: dataUrl() } });
    expect(status).toBe(402);
    expect(body).toMatchObject({ code: 'insufficient_credits', required: 2, available: 1 });
  });

  it('400 names a bad strength and charges nothing', async () => {
    const { status, body } = await app.send('POST', '/api/image-to-image', {
      body: { prompt: 'x', input_image: dataUrl(), image_prompt_strength: 2 },
    });
    expect(status).toBe(400);
    expect(body).toMatchObject({ field: 'image_prompt_strength' });
    expect(await app.engine.credits.balance('alice')).toBe(10);
  });

  it('502 when the provider fails, with the 2 credits refunded; the same key replays the 502 without charging', async () => {
    const send = () =>
      app.call('POST', '/api/image-to-image', {
        body: { prompt: 'broken', input_image: dataUrl() },
        headers: { 'idempotency-key': 'i2i-fail' },
      });
    const first = await send();
    expect(first.status).toBe(502);
    const body = await first.json();
    expect(body).toMatchObject({ code: 'provider_error' });
    expect(await app.engine.credits.balance('alice')).toBe(10);
    const again = await send();
    expect(again.status).toBe(502);
    expect(await again.json()).toEqual(body);
    expect(await app.engine.credits.balance('alice')).toBe(10);
  });

  it('20 concurrent requests with one Idempotency-Key charge 2 credits once and get identical bodies', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        app.call('POST', '/api/image-to-image', {
          body: { prompt: 'once', input_image: dataUrl() },
          headers: { 'idempotency-key': 'i2i-20' },
        }),
      ),
    );
    const texts = await Promise.all(answers.map((a) => a.text()));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(new Set(texts).size).toBe(1);
    expect(await app.engine.credits.balance('alice')).toBe(8);
    expect((await app.send('GET', '/api/records')).body.records).toHaveLength(1);
  });
});

describe('POST /api/generate', () => {
  it('charges 1 credit and answers with the record id and image', async () => {
    const { status, body } = await app.send('POST', '/api/generate', { body: { prompt: 'a lighthouse', aspect_ratio: '16:9' } });
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['credits_remaining', 'image_url', 'message', 'record_id', 'request_id']);
    expect(body).toMatchObject({ message: '生成成功', record_id: expect.stringMatching(/^record:alice:\d+$/), credits_remaining: 9 });
  });

  it('504 when the provider does not finish in time, with the credit refunded', async () => {
    const slow = await createTestApp({ provider: { pollsBeforeReady: 1000 }, engine: { pollPolicy: { maxPolls: 2, pollIntervalMs: 5 } } });
    await slow.grant('alice', 1);
    const { status, body } = await slow.send('POST', '/api/generate', { body: { prompt: 'never done' } });
    expect(status).toBe(504);
    expect(body).toMatchObject({ code: 'timeout' });
    expect(await slow.engine.credits.balance('alice')).toBe(1);
    await slow.close();
  });
});
