import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { createFireworksProvider } from '../../src/adapters/providers/fireworks/index.js';
import { EDIT_INPUT, PNG, TEXT_INPUT, generate, useMsw } from './harness.js';

const MODELS = 'https://api.fireworks.ai/inference/v1/workflows/accounts/fireworks/models';
const BASE = `${MODELS}/flux-kontext-pro`;
const CDN = 'https://storage.example-cdn.com/out.png';
const server = useMsw();

function fireworks(results: Array<unknown>, submit?: () => Response) {
  const seen = { submits: [] as any[], auth: [] as Array<string | null>, pollBodies: [] as any[], cdnAuth: [] as Array<string | null> };
  let i = 0;
  server.use(
    http.post(BASE, async ({ request }) => {
      seen.submits.push(await request.json());
      seen.auth.push(request.headers.get('authorization'));
      return submit ? submit() : HttpResponse.json({ request_id: 'req-1' });
    }),
    http.post(`${BASE}/get_result`, async ({ request }) => {
      seen.pollBodies.push(await request.json());
      const r = results[Math.min(i++, results.length - 1)];
      return r instanceof Response ? r : HttpResponse.json(r as object);
    }),
    http.get(CDN, ({ request }) => {
      seen.cdnAuth.push(request.headers.get('authorization'));
      return new HttpResponse(PNG);
    }),
  );
  return seen;
}

describe('fireworks adapter', () => {
  it('submits with a bearer key, polls get_result with { id } and copies result.sample', async () => {
    const seen = fireworks([
      { id: 'req-1', status: 'Pending', progress: 50 },
      { id: 'req-1', status: 'Ready', result: { sample: CDN } },
    ]);
    const { image } = await generate(createFireworksProvider({ apiKeys: 'fw-key' }));
    expect(image.bytes).toEqual(PNG);
    expect(seen.auth[0]).toBe('Bearer fw-key');
    expect(seen.submits[0]).toMatchObject({ prompt: 'a red fox', aspect_ratio: '16:9', seed: 7, output_format: 'png' });
    expect(seen.pollBodies).toEqual([{ id: 'req-1' }, { id: 'req-1' }]);
    expect(seen.cdnAuth).toEqual([null]);
  });

  it('accepts the image in result.url as well', async () => {
    fireworks([{ id: 'req-1', status: 'Ready', result: { url: CDN } }]);
    await expect(generate(createFireworksProvider({ apiKeys: 'k' }))).resolves.toMatchObject({ image: { contentType: 'image/png' } });
  });

  it.each([
    ['Request Moderated', 'moderated_input'],
    ['Content Moderated', 'moderated_output'],
    ['Task not found', 'not_found'],
    ['Error', 'provider_error'],
    ['Failed', 'provider_error'],
  ])('maps %s to a %s failure', async (word, reason) => {
    fireworks([{ id: 'req-1', status: word }]);
    await expect(generate(createFireworksProvider({ apiKeys: 'k' }))).rejects.toMatchObject({ reason });
  });

  it('sends the edit image as input_image and lists strength as unsupported', async () => {
    const seen = fireworks([{ status: 'Ready', result: { sample: CDN } }]);
    const provider = createFireworksProvider({ apiKeys: 'k' });
    await generate(provider, EDIT_INPUT);
    // Fireworks' docs take "Base64 encoded image or URL"; @ai-sdk/fireworks sends a data URL: both accept that.
    expect(seen.submits[0].input_image).toBe(`data:image/png;base64,${Buffer.from(PNG).toString('base64')}`);
    expect(provider.unsupported).toContain('image_prompt_strength');
  });

  it.each(['flux-1-schnell-fp8', 'flux-1-dev-fp8'])(
    'runs %s on the synchronous text_to_image workflow and takes the image bytes it answers',
    async (model) => {
      const seen: Array<{ body: any; accept: string | null }> = [];
      server.use(
        http.post(`${MODELS}/${model}/text_to_image`, async ({ request }) => {
          seen.push({ body: await request.json(), accept: request.headers.get('accept') });
          return new HttpResponse(PNG, { headers: { 'content-type': 'image/png' } });
        }),
      );
      const provider = createFireworksProvider({ apiKeys: 'k', model });
      const { image } = await generate(provider);
      expect(image).toEqual({ bytes: PNG, contentType: 'image/png' });
      expect(seen[0]).toMatchObject({ accept: 'image/png', body: { prompt: 'a red fox', aspect_ratio: '16:9', seed: 7 } });
      expect(provider.capabilities.imageToImage).toBe(false);
    },
  );

  it('reads a CONTENT_FILTERED finish reason of text_to_image as a moderated output', async () => {
    server.use(
      http.post(
        `${MODELS}/flux-1-schnell-fp8/text_to_image`,
        () => new HttpResponse(PNG, { headers: { 'content-type': 'image/png', 'finish-reason': 'CONTENT_FILTERED' } }),
      ),
    );
    const error = await generate(createFireworksProvider({ apiKeys: 'k', model: 'flux-1-schnell-fp8' })).catch((e) => e);
    expect(error).toMatchObject({ reason: 'moderated_output' });
  });

  it("spreads generations over several keys, least busy first, within each key's limit", async () => {
    const seen = fireworks([{ status: 'Ready', result: { sample: CDN } }]);
    const provider = createFireworksProvider({ apiKeys: 'k1,k2,k3', concurrencyPerKey: 1 });
    const submitted = await Promise.all([1, 2, 3].map(() => provider.submit(TEXT_INPUT, { signal: AbortSignal.timeout(5000) })));
    expect(new Set(seen.auth)).toEqual(new Set(['Bearer k1', 'Bearer k2', 'Bearer k3']));
    expect(provider.keyStats().map((k) => k.inFlight)).toEqual([1, 1, 1]);
    // A fourth waits until a key frees up.
    let fourth = false;
    const waiting = provider.submit(TEXT_INPUT, { signal: AbortSignal.timeout(5000) }).then(() => (fourth = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(fourth).toBe(false);
    await provider.poll(submitted[0]!.requestId, { signal: AbortSignal.timeout(5000) });
    await waiting;
    expect(provider.keyStats().reduce((n, k) => n + k.successes, 0)).toBe(1);
  });

  it('retries 429 (Retry-After) and 5xx on submit, and reports malformed answers clearly', async () => {
    let n = 0;
    fireworks([{ status: 'Ready', result: { sample: CDN } }], () =>
      ++n === 1
        ? new HttpResponse(null, { status: 429, headers: { 'retry-after': '20' } })
        : n === 2
          ? new HttpResponse(null, { status: 503 })
          : HttpResponse.json({ request_id: 'r' }),
    );
    const provider = createFireworksProvider({ apiKeys: 'a,b', retryMinTimeoutMs: 1 });
    await generate(provider);
    expect(provider.keyStats().map((k) => k.coolDowns)).toEqual([1, 0]);
    fireworks([{ status: 'Ready' }], () => HttpResponse.json({ nope: 1 }));
    await expect(generate(createFireworksProvider({ apiKeys: 'k' }))).rejects.toMatchObject({
      reason: 'invalid_response',
      message: expect.stringMatching(/without a request_id/),
    });
  });

  it('aborts a slow poll when the task times out', async () => {
    fireworks([]);
    server.use(http.post(`${BASE}/get_result`, () => new Promise<Response>(() => {})));
    const provider = createFireworksProvider({ apiKeys: 'k' });
    await expect(generate(provider, TEXT_INPUT, { timeoutMs: 150 })).rejects.toBeDefined();
    expect(provider.keyStats()[0]!.inFlight).toBe(0);
  });
});
