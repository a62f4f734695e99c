import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { createBflProvider } from '../../src/adapters/providers/bfl/index.js';
import { ASPECT_RATIOS } from '../../src/core/schemas/params.js';
import { decodeRef } from '../../src/adapters/providers/provider-kit/request-ref.js';
import { EDIT_INPUT, PNG, TEXT_INPUT, generate, memoryLogger, useMsw } from './harness.js';

const API = 'https://api.bfl.ai';
const POLL = 'https://api.us1.bfl.ai/v1/get_result';
const CDN = 'https://delivery-us1.bfl.ai/results/abc/sample.png';
const server = useMsw();

function bfl(statuses: unknown[], options: { submit?: () => Response | Promise<Response> } = {}) {
  const seen = {
    submits: [] as Array<{ body: any; key: string | null }>,
    polls: [] as Array<string | null>,
    cdnKeys: [] as Array<string | null>,
  };
  let poll = 0;
  server.use(
    http.post(`${API}/v1/:model`, async ({ request, params }) => {
      seen.submits.push({ body: { model: params.model, ...((await request.json()) as object) }, key: request.headers.get('x-key') });
      return options.submit ? options.submit() : HttpResponse.json({ id: 'task-1', polling_url: `${POLL}?id=task-1` });
    }),
    http.get(POLL, ({ request }) => {
      seen.polls.push(request.headers.get('x-key'));
      const status = statuses[Math.min(poll++, statuses.length - 1)];
      return status instanceof Response ? status : HttpResponse.json(status as object);
    }),
    http.get(CDN, ({ request }) => {
      seen.cdnKeys.push(request.headers.get('x-key'));
      return new HttpResponse(PNG, { headers: { 'content-type': 'image/png' } });
    }),
  );
  return seen;
}

const ready = { id: 'task-1', status: 'Ready', result: { sample: CDN, seed: 7 } };

describe('bfl adapter', () => {
  it('submits with x-key, polls the returned polling_url to Ready and copies result.sample without sending the key to the CDN', async () => {
    const seen = bfl([{ id: 'task-1', status: 'Pending', progress: 0.4 }, ready]);
    const provider = createBflProvider({ apiKeys: 'key-a' });
    const { requestId, image } = await generate(provider);
    expect(image.contentType).toBe('image/png');
    expect(image.bytes).toEqual(PNG);
    expect(decodeRef(requestId)).toMatchObject({ id: 'task-1', url: `${POLL}?id=task-1` });
    expect(seen.submits[0]).toMatchObject({
      key: 'key-a',
      body: { model: 'flux-kontext-pro', prompt: 'a red fox', aspect_ratio: '16:9', seed: 7, output_format: 'png' },
    });
    expect(seen.polls).toEqual(['key-a', 'key-a']);
    expect(seen.cdnKeys).toEqual([null]);
    expect(provider.keyStats()[0]).toMatchObject({ inFlight: 0, successes: 1, failures: 0 });
  });

  it.each([
    ['Request Moderated', 'moderated_input', /refused the request/],
    ['Content Moderated', 'moderated_output', /withheld the generated image/],
    ['Task not found', 'not_found', /does not know this request/],
    ['Error', 'provider_error', /failed the generation/],
    ['Failed', 'provider_error', /failed the generation/],
  ])('maps the status word %s to a failure with reason %s', async (word, reason, message) => {
    bfl([{ id: 'task-1', status: word }]);
    const error = await generate(createBflProvider({ apiKeys: 'k' })).catch((e) => e);
    expect(error).toMatchObject({ code: 'provider_error', reason });
    expect(error.message).toMatch(message);
  });

  it('treats Pending as running and fails on the poll budget instead of polling forever', async () => {
    const seen = bfl([{ id: 'task-1', status: 'Pending' }]);
    const error = await generate(createBflProvider({ apiKeys: 'k' }), TEXT_INPUT, { maxPolls: 3 }).catch((e) => e);
    expect(error).toMatchObject({ code: 'timeout' });
    expect(seen.polls).toHaveLength(3);
  });

  it('cools a key down on 429 honouring Retry-After and retries on the other key', async () => {
    let calls = 0;
    const seen = bfl([ready], {
      submit: () =>
        ++calls === 1
          ? new HttpResponse('slow down', { status: 429, headers: { 'retry-after': '30' } })
          : HttpResponse.json({ id: 'task-1', polling_url: `${POLL}?id=task-1` }),
    });
    const provider = createBflProvider({ apiKeys: ['key-a', 'key-b'], retryMinTimeoutMs: 1 });
    await generate(provider);
    expect(seen.submits.map((s) => s.key)).toEqual(['key-a', 'key-b']);
    const [a, b] = provider.keyStats();
    expect(a).toMatchObject({ coolDowns: 1, failures: 1 });
    expect(a!.coolingUntil! - Date.now()).toBeGreaterThan(25_000);
    expect(b).toMatchObject({ successes: 1, inFlight: 0 });
  });

  it('waits out Retry-After when the only key is rate limited', async () => {
    let calls = 0;
    bfl([ready], {
      submit: () =>
        ++calls === 1
          ? new HttpResponse(null, { status: 429, headers: { 'retry-after': '1' } })
          : HttpResponse.json({ id: 'task-1', polling_url: `${POLL}?id=task-1` }),
    });
    const started = Date.now();
    await generate(createBflProvider({ apiKeys: 'k', retryMinTimeoutMs: 1 }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('retries a 5xx and then succeeds', async () => {
    const seen = bfl([new HttpResponse('oops', { status: 502 }), ready]);
    await expect(generate(createBflProvider({ apiKeys: 'k', retryMinTimeoutMs: 1 }))).resolves.toMatchObject({
      image: { contentType: 'image/png' },
    });
    expect(seen.polls).toHaveLength(2);
  });

  it('takes a key that gets 401 out of rotation, logs its label but never the key, and uses the next', async () => {
    const logger = memoryLogger();
    bfl([ready]);
    server.use(
      http.post(`${API}/v1/:model`, ({ request }) =>
        request.headers.get('x-key') === 'secret-bad-key'
          ? new HttpResponse(null, { status: 401 })
          : HttpResponse.json({ id: 'task-1', polling_url: `${POLL}?id=task-1` }),
      ),
    );
    const provider = createBflProvider({ apiKeys: ['secret-bad-key', 'good-key'], retryMinTimeoutMs: 1, logger });
    await generate(provider);
    expect(provider.keyStats()[0]!.disabledReason).toMatch(/401/);
    expect(logger.lines.join('\n')).toMatch(/bfl#1 taken out of rotation/);
    expect(logger.lines.join('\n')).not.toContain('secret-bad-key');
  });

  it('redacts an x-key the API quotes back in an error body, and keeps the rest of the message', async () => {
    bfl([ready], {
      submit: () => HttpResponse.json({ detail: 'key secret-echoed-key is not valid for application/json bodies' }, { status: 422 }),
    });
    const error: Error = await generate(createBflProvider({ apiKeys: 'secret-echoed-key', retryMinTimeoutMs: 1 })).then(
      () => new Error('no error'),
      (e: Error) => e,
    );
    expect(error.message).toContain('key [redacted] is not valid for application/json bodies');
    expect(error.message).not.toContain('secret-echoed-key');
  });

  it('fails with unauthorized when every key is rejected', async () => {
    bfl([ready], { submit: () => new HttpResponse(null, { status: 403 }) });
    const error = await generate(createBflProvider({ apiKeys: 'a,b', retryMinTimeoutMs: 1 })).catch((e) => e);
    expect(error).toMatchObject({ code: 'provider_error', reason: 'unauthorized' });
    expect(error.message).not.toMatch(/\ba\b.*\bb\b/);
  });

  it('reads a 404 at submit as a wrong model path, not as an unknown request', async () => {
    bfl([ready], { submit: () => new HttpResponse('Not Found', { status: 404 }) });
    const error = await generate(createBflProvider({ apiKeys: 'k', model: 'flux-nope' })).catch((e) => e);
    expect(error).toMatchObject({ code: 'provider_error', reason: 'provider_error' });
    expect(error.message).toMatch(/no endpoint at \/v1\/flux-nope .*check the model name/);
    expect(error.message).not.toMatch(/does not know this request/);
  });

  it('reports a malformed answer as invalid_response, not a crash', async () => {
    bfl([{ unexpected: true }]);
    await expect(generate(createBflProvider({ apiKeys: 'k' }))).rejects.toMatchObject({ reason: 'invalid_response' });
    bfl([ready], { submit: () => new HttpResponse('<html>gateway</html>', { status: 200 }) });
    await expect(generate(createBflProvider({ apiKeys: 'k' }))).rejects.toMatchObject({
      reason: 'invalid_response',
      message: expect.stringMatching(/not JSON/),
    });
    bfl([{ status: 'Ready', result: {} }]);
    await expect(generate(createBflProvider({ apiKeys: 'k' }))).rejects.toMatchObject({
      reason: 'invalid_response',
      message: expect.stringMatching(/without an image/),
    });
  });

  it('aborts a hanging request when the task times out, and frees the key', async () => {
    server.use(http.post(`${API}/v1/:model`, () => new Promise<Response>(() => {})));
    const provider = createBflProvider({ apiKeys: 'k' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('task timeout')), 100);
    await expect(generate(provider, TEXT_INPUT, { signal: controller.signal })).rejects.toThrow('task timeout');
    expect(provider.keyStats()[0]!.inFlight).toBe(0);
  });

  it('sends Kontext edits as input_image and Ultra edits as image_prompt with image_prompt_strength', async () => {
    const seen = bfl([ready]);
    const kontext = createBflProvider({ apiKeys: 'k' });
    await generate(kontext, EDIT_INPUT);
    expect(seen.submits[0]!.body).toMatchObject({ input_image: Buffer.from(PNG).toString('base64'), safety_tolerance: 2 });
    expect(seen.submits[0]!.body.image_prompt_strength).toBeUndefined();
    expect(kontext.unsupported).toContain('image_prompt_strength');
    await generate(createBflProvider({ apiKeys: 'k', editModel: 'flux-pro-1.1-ultra' }), EDIT_INPUT);
    expect(seen.submits[1]!.body).toMatchObject({
      model: 'flux-pro-1.1-ultra',
      image_prompt: Buffer.from(PNG).toString('base64'),
      image_prompt_strength: 0.7,
      aspect_ratio: '16:9',
    });
  });

  it('maps aspect ratios to width/height (multiples of 16) for models without aspect_ratio', async () => {
    const seen = bfl([ready]);
    await generate(createBflProvider({ apiKeys: 'k', model: 'flux-pro-1.1' }));
    const { width, height } = seen.submits[0]!.body;
    expect(width % 16).toBe(0);
    expect(height % 16).toBe(0);
    expect(width / height).toBeCloseTo(16 / 9, 1);
  });

  it.each(['flux-pro-1.1', 'flux-dev'])(
    'puts every aspect ratio on the FLUX.1 grid for %s: multiples of 32 from 256 to 1440',
    async (model) => {
      const seen = bfl([ready]);
      const provider = createBflProvider({ apiKeys: 'k', model });
      for (const aspectRatio of ASPECT_RATIOS) await generate(provider, { ...TEXT_INPUT, aspectRatio });
      for (const [i, aspectRatio] of ASPECT_RATIOS.entries()) {
        const { width, height } = seen.submits[i]!.body;
        for (const side of [width, height]) {
          expect(side % 32, `${aspectRatio}: ${width}x${height}`).toBe(0);
          expect(side).toBeGreaterThanOrEqual(256);
          expect(side).toBeLessThanOrEqual(1440);
        }
        const [w, h] = aspectRatio.split(':').map(Number) as [number, number];
        expect(Math.abs(width / height - w / h) / (w / h), aspectRatio).toBeLessThan(0.03);
      }
    },
  );

  it('refuses webp before any call, naming the field', async () => {
    const seen = bfl([ready]);
    await expect(generate(createBflProvider({ apiKeys: 'k' }), { ...TEXT_INPUT, outputFormat: 'webp' })).rejects.toMatchObject({
      code: 'validation',
      field: 'output_format',
    });
    expect(seen.submits).toHaveLength(0);
  });

  it('uses the region base URL and never sends the key to a polling_url on a foreign host', async () => {
    server.use(
      http.post('https://api.eu.bfl.ai/v1/:model', () =>
        HttpResponse.json({ id: 't', polling_url: 'https://evil.example/v1/get_result?id=t' }),
      ),
    );
    const error = await generate(createBflProvider({ apiKeys: 'k', region: 'eu' })).catch((e) => e);
    expect(error).toMatchObject({ reason: 'invalid_response', message: expect.stringMatching(/unexpected host/) });
  });

  it('polls a request another process created, from the stored request id alone', async () => {
    const seen = bfl([ready]);
    const first = createBflProvider({ apiKeys: ['k1', 'k2'] });
    const { requestId } = await first.submit(TEXT_INPUT, { signal: AbortSignal.timeout(5000) });
    const second = createBflProvider({ apiKeys: ['k2', 'k1'] });
    await expect(second.poll(requestId, { signal: AbortSignal.timeout(5000) })).resolves.toMatchObject({ state: 'succeeded' });
    expect(seen.polls).toEqual([seen.submits[0]!.key]);
    expect(second.keyStats().reduce((n, k) => n + k.inFlight, 0)).toBe(0);
  });
});
