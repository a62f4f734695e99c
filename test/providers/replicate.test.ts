import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { createReplicateProvider } from '../../src/adapters/providers/replicate/index.js';
import { EDIT_INPUT, PNG, TEXT_INPUT, generate, useMsw } from './harness.js';

const API = 'https://api.replicate.com/v1';
const OUT = 'https://replicate.delivery/xezq/out.png';
const server = useMsw();

function replicate(states: unknown[], create?: () => Response) {
  const seen = { creates: [] as any[], auth: [] as Array<string | null>, cdnAuth: [] as Array<string | null>, cancels: 0 };
  let i = 0;
  server.use(
    http.post(`${API}/models/black-forest-labs/flux-kontext-pro/predictions`, async ({ request }) => {
      seen.creates.push(await request.json());
      seen.auth.push(request.headers.get('authorization'));
      return create ? create() : HttpResponse.json({ id: 'p1', status: 'starting' }, { status: 201 });
    }),
    http.get(`${API}/predictions/p1`, () => {
      const s = states[Math.min(i++, states.length - 1)];
      return s instanceof Response ? s : HttpResponse.json(s as object);
    }),
    http.post(`${API}/predictions/p1/cancel`, () => {
      seen.cancels++;
      return HttpResponse.json({ id: 'p1', status: 'canceled' });
    }),
    http.get(OUT, ({ request }) => {
      seen.cdnAuth.push(request.headers.get('authorization'));
      return new HttpResponse(PNG);
    }),
  );
  return seen;
}

describe('replicate adapter', () => {
  it('creates a prediction, polls starting → processing → succeeded and copies the output URL', async () => {
    const seen = replicate([
      { id: 'p1', status: 'processing' },
      { id: 'p1', status: 'succeeded', output: OUT },
    ]);
    const { image } = await generate(createReplicateProvider({ apiKeys: 'r8_token' }));
    expect(image.bytes).toEqual(PNG);
    expect(seen.auth[0]).toBe('Bearer r8_token');
    expect(seen.creates[0].input).toMatchObject({ prompt: 'a red fox', aspect_ratio: '16:9', seed: 7, output_format: 'png' });
    expect(seen.cdnAuth).toEqual([null]);
  });

  it('maps jpeg to "jpg", takes the first of a list output, and sends edits as input_image data URIs', async () => {
    const seen = replicate([{ id: 'p1', status: 'succeeded', output: [OUT] }]);
    await generate(createReplicateProvider({ apiKeys: 'k' }), { ...EDIT_INPUT, outputFormat: 'jpeg' });
    expect(seen.creates[0].input).toMatchObject({
      output_format: 'jpg',
      aspect_ratio: 'match_input_image',
      input_image: expect.stringMatching(/^data:image\/png;base64,/),
    });
  });

  it.each([
    [{ id: 'p1', status: 'failed', error: 'Prediction failed: flagged as sensitive (E005)' }, 'moderated_output'],
    [{ id: 'p1', status: 'failed', error: 'The input prompt was flagged as sensitive (E005)' }, 'moderated_input'],
    [
      { id: 'p1', status: 'failed', error: 'The input or output was flagged as sensitive. Please try again with different inputs. (E005)' },
      'moderated_output',
    ],
    [
      {
        id: 'p1',
        status: 'failed',
        error: 'The input or output was flagged as sensitive. (E005)',
        logs: 'Generation status: Request Moderated',
      },
      'moderated_input',
    ],
    [{ id: 'p1', status: 'failed', error: 'CUDA error' }, 'provider_error'],
    [{ id: 'p1', status: 'canceled' }, 'provider_error'],
  ])('maps %j to %s', async (state, reason) => {
    replicate([state]);
    await expect(generate(createReplicateProvider({ apiKeys: 'k' }))).rejects.toMatchObject({ reason });
  });

  it('does not claim the input was refused when E005 says "the input or output"', async () => {
    replicate([{ id: 'p1', status: 'failed', error: 'The input or output was flagged as sensitive. (E005)' }]);
    const error = await generate(createReplicateProvider({ apiKeys: 'k' })).catch((e) => e);
    expect(error.message).toMatch(/prompt, the input image or the generated image/);
  });

  it('honours Retry-After on 429 at create (cool-down) and retries 5xx polls', async () => {
    let n = 0;
    replicate([new HttpResponse(null, { status: 502 }), { id: 'p1', status: 'succeeded', output: OUT }], () =>
      ++n === 1
        ? new HttpResponse(null, { status: 429, headers: { 'retry-after': '10' } })
        : HttpResponse.json({ id: 'p1', status: 'starting' }),
    );
    const provider = createReplicateProvider({ apiKeys: ['a', 'b'], retryMinTimeoutMs: 1 });
    await generate(provider);
    expect(provider.keyStats()[0]!.coolDowns).toBe(1);
    expect(provider.keyStats()[0]!.coolingUntil! - Date.now()).toBeGreaterThan(5000);
  });

  it('reports a prediction without a status as invalid_response', async () => {
    replicate([{ id: 'p1' }]);
    await expect(generate(createReplicateProvider({ apiKeys: 'k' }))).rejects.toMatchObject({ reason: 'invalid_response' });
  });

  it('cancels the prediction when the poll budget runs out, and aborts on the task timeout', async () => {
    const seen = replicate([{ id: 'p1', status: 'processing' }]);
    await expect(generate(createReplicateProvider({ apiKeys: 'k' }), TEXT_INPUT, { maxPolls: 2 })).rejects.toMatchObject({
      code: 'timeout',
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.cancels).toBe(1);
    server.use(http.get(`${API}/predictions/p1`, () => new Promise<Response>(() => {})));
    await expect(generate(createReplicateProvider({ apiKeys: 'k' }), TEXT_INPUT, { timeoutMs: 120 })).rejects.toBeDefined();
  });

  it('uploads input images over 256 KiB through the Files API', async () => {
    const seen = replicate([{ id: 'p1', status: 'succeeded', output: OUT }]);
    server.use(http.post(`${API}/files`, () => HttpResponse.json({ urls: { get: 'https://api.replicate.com/v1/files/f1' } })));
    const big = new Uint8Array(300 * 1024);
    big.set(PNG);
    await generate(createReplicateProvider({ apiKeys: 'k' }), { ...EDIT_INPUT, inputImage: { bytes: big, contentType: 'image/png' } });
    expect(seen.creates[0].input.input_image).toBe('https://api.replicate.com/v1/files/f1');
  });
});
