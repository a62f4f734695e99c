import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { createFalProvider } from '../../src/adapters/providers/fal/index.js';
import { EDIT_INPUT, PNG, TEXT_INPUT, generate, useMsw } from './harness.js';

const Q = 'https://queue.fal.run';
const RESP = `${Q}/fal-ai/flux-pro/requests/r1`;
const CDN = 'https://v3.fal.media/files/out.png';
const server = useMsw();

function fal(
  statuses: unknown[],
  result: () => Response = () => HttpResponse.json({ images: [{ url: CDN, content_type: 'image/png' }], has_nsfw_concepts: [false] }),
) {
  const seen = { submits: [] as any[], urls: [] as string[], auth: [] as Array<string | null>, cancels: 0 };
  let i = 0;
  server.use(
    http.post(`${Q}/fal-ai/*`, async ({ request }) => {
      seen.urls.push(request.url);
      seen.auth.push(request.headers.get('authorization'));
      seen.submits.push(await request.json());
      return HttpResponse.json({ request_id: 'r1', response_url: RESP, status_url: `${RESP}/status`, cancel_url: `${RESP}/cancel` });
    }),
    http.get(`${RESP}/status`, () => {
      const s = statuses[Math.min(i++, statuses.length - 1)];
      return s instanceof Response ? s : HttpResponse.json(s as object);
    }),
    http.get(RESP, result),
    http.put(`${RESP}/cancel`, () => {
      seen.cancels++;
      return HttpResponse.json({ status: 'CANCELLATION_REQUESTED' });
    }),
    http.get(CDN, () => new HttpResponse(PNG)),
  );
  return seen;
}

describe('fal adapter', () => {
  it.each(['fal-ai/flux/dev', 'fal-ai/flux-pro/v1.1'])('sends the aspect ratio to %s as image_size', async (model) => {
    const seen = fal([{ status: 'COMPLETED' }]);
    const provider = createFalProvider({ apiKeys: 'k', model });
    await generate(provider, { ...TEXT_INPUT, aspectRatio: '16:9' });
    await generate(provider, { ...TEXT_INPUT, aspectRatio: '21:9' });
    expect(seen.submits[0]).toMatchObject({ image_size: 'landscape_16_9' });
    expect(seen.submits[0]).not.toHaveProperty('aspect_ratio');
    const { width, height } = seen.submits[1].image_size;
    expect(width / height).toBeCloseTo(21 / 9, 1);
  });

  it('edits with fal-ai/flux/dev/image-to-image: strength is how much changes (1 − image_prompt_strength)', async () => {
    const seen = fal([{ status: 'COMPLETED' }]);
    await generate(createFalProvider({ apiKeys: 'k', editModel: 'fal-ai/flux/dev/image-to-image' }), EDIT_INPUT);
    expect(seen.urls[0]).toBe(`${Q}/fal-ai/flux/dev/image-to-image`);
    expect(seen.submits[0]).toMatchObject({ image_url: expect.stringMatching(/^data:image\/png;base64,/) });
    expect(seen.submits[0].strength).toBeCloseTo(0.3);
  });

  it('submits to the queue with "Key" auth, walks IN_QUEUE → IN_PROGRESS → COMPLETED and fetches the result', async () => {
    const seen = fal([{ status: 'IN_QUEUE', queue_position: 2 }, { status: 'IN_PROGRESS' }, { status: 'COMPLETED' }]);
    const { image } = await generate(createFalProvider({ apiKeys: 'fal-key' }));
    expect(image.bytes).toEqual(PNG);
    expect(seen.auth[0]).toBe('Key fal-key');
    expect(seen.urls[0]).toBe(`${Q}/fal-ai/flux-pro/kontext/text-to-image`);
    expect(seen.submits[0]).toMatchObject({ prompt: 'a red fox', aspect_ratio: '16:9', seed: 7, output_format: 'png', num_images: 1 });
  });

  it('sends edits to the Kontext endpoint with image_url as a data URI', async () => {
    const seen = fal([{ status: 'COMPLETED' }]);
    await generate(createFalProvider({ apiKeys: 'k' }), EDIT_INPUT);
    expect(seen.urls[0]).toBe(`${Q}/fal-ai/flux-pro/kontext`);
    expect(seen.submits[0].image_url).toBe(`data:image/png;base64,${Buffer.from(PNG).toString('base64')}`);
  });

  it('fails as moderated_output when the safety checker flags the image', async () => {
    fal([{ status: 'COMPLETED' }], () => HttpResponse.json({ images: [{ url: CDN }], has_nsfw_concepts: [true] }));
    await expect(generate(createFalProvider({ apiKeys: 'k' }))).rejects.toMatchObject({ reason: 'moderated_output' });
  });

  it('turns a failed result (422 with detail) into a failure, content policy as moderated_input', async () => {
    fal([{ status: 'COMPLETED' }], () =>
      HttpResponse.json({ detail: 'Image generation failed: content policy violation' }, { status: 422 }),
    );
    await expect(generate(createFalProvider({ apiKeys: 'k' }))).rejects.toMatchObject({ reason: 'moderated_input' });
    fal([{ status: 'COMPLETED' }], () => HttpResponse.json({ detail: 'CUDA out of memory' }, { status: 422 }));
    await expect(generate(createFalProvider({ apiKeys: 'k' }))).rejects.toMatchObject({
      reason: 'provider_error',
      message: expect.stringMatching(/CUDA/),
    });
  });

  it('waits out Retry-After on a rate-limited status poll, then goes on with the same key', async () => {
    fal([new HttpResponse(null, { status: 429, headers: { 'retry-after': '1' } }), { status: 'COMPLETED' }]);
    const provider = createFalProvider({ apiKeys: 'k', retryMinTimeoutMs: 1 });
    const started = Date.now();
    await generate(provider);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(provider.keyStats()[0]).toMatchObject({ coolDowns: 1, successes: 1, inFlight: 0 });
  });

  it('retries a 500 and reports a status body without a status word as invalid_response', async () => {
    fal([new HttpResponse('boom', { status: 500 }), { status: 'COMPLETED' }]);
    await expect(generate(createFalProvider({ apiKeys: 'k', retryMinTimeoutMs: 1 }))).resolves.toBeDefined();
    fal([{ queue: 'weird' }]);
    await expect(generate(createFalProvider({ apiKeys: 'k' }))).rejects.toMatchObject({ reason: 'invalid_response' });
  });

  it('cancels through PUT …/cancel when the poll budget runs out', async () => {
    const seen = fal([{ status: 'IN_PROGRESS' }]);
    const provider = createFalProvider({ apiKeys: 'k' });
    await expect(generate(provider, TEXT_INPUT, { maxPolls: 2 })).rejects.toMatchObject({ code: 'timeout' });
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.cancels).toBe(1);
    expect(provider.keyStats()[0]!.inFlight).toBe(0);
  });

  it('stops a hanging submit on abort', async () => {
    server.use(http.post(`${Q}/fal-ai/*`, () => new Promise<Response>(() => {})));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('timed out')), 80);
    await expect(generate(createFalProvider({ apiKeys: 'k' }), TEXT_INPUT, { signal: controller.signal })).rejects.toThrow('timed out');
  });
});
