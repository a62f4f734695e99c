import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { createOpenAiProvider, openAiSize } from '../../src/adapters/providers/openai/index.js';
import { EDIT_INPUT, PNG, TEXT_INPUT, generate, useMsw } from './harness.js';

const API = 'https://api.openai.com/v1';
const server = useMsw();
const ok = () => HttpResponse.json({ created: 1, data: [{ b64_json: Buffer.from(PNG).toString('base64') }] });

describe('openai adapter', () => {
  it('generates synchronously with gpt-image-1 and returns the base64 image without polling', async () => {
    let body: any;
    server.use(http.post(`${API}/images/generations`, async ({ request }) => ((body = await request.json()), ok())));
    const provider = createOpenAiProvider({ apiKeys: 'sk-test' });
    const submitted = await provider.submit(TEXT_INPUT, { signal: AbortSignal.timeout(5000) });
    expect(submitted.status).toMatchObject({ state: 'succeeded', output: { contentType: 'image/png' } });
    expect(body).toMatchObject({ model: 'gpt-image-1', prompt: 'a red fox', size: '1536x1024', output_format: 'png', n: 1 });
    expect(provider.keyStats()[0]).toMatchObject({ inFlight: 0, successes: 1 });
  });

  it('maps aspect ratios to the three sizes', () => {
    expect([openAiSize('1:1'), openAiSize('21:9'), openAiSize('3:4')]).toEqual(['1024x1024', '1536x1024', '1024x1536']);
  });

  it('sends edits as multipart with image[] and input_fidelity from the strength', async () => {
    let form: FormData | undefined;
    server.use(http.post(`${API}/images/edits`, async ({ request }) => ((form = await request.formData()), ok())));
    await generate(createOpenAiProvider({ apiKeys: 'k' }), EDIT_INPUT);
    expect(form!.get('prompt')).toBe('a red fox');
    expect(form!.get('input_fidelity')).toBe('high');
    expect(form!.get('image[]')).toBeInstanceOf(Blob);
  });

  it('makes dall-e-3 images: its own sizes, no output_format or moderation, the result from data[0].url', async () => {
    let body: any;
    const CDN = 'https://oaidalleapiprodscus.blob.core.windows.net/private/img.png';
    server.use(
      http.post(`${API}/images/generations`, async ({ request }) => {
        body = await request.json();
        return HttpResponse.json({ created: 1, data: [{ url: CDN, revised_prompt: 'a red fox' }] });
      }),
      http.get(CDN, ({ request }) =>
        request.headers.get('authorization') ? new HttpResponse(null, { status: 403 }) : new HttpResponse(PNG),
      ),
    );
    const provider = createOpenAiProvider({ apiKeys: 'k', model: 'dall-e-3' });
    const { image } = await generate(provider);
    expect(image.bytes).toEqual(PNG);
    expect(body).toEqual({ model: 'dall-e-3', prompt: 'a red fox', n: 1, size: '1792x1024' });
    expect(provider.capabilities).toMatchObject({ imageToImage: false, outputFormats: ['png'] });
  });

  it.each(['gpt-image-1-mini', 'dall-e-2'])('sends %s edits without input_fidelity, which it does not take', async (model) => {
    let form: FormData | undefined;
    server.use(http.post(`${API}/images/edits`, async ({ request }) => ((form = await request.formData()), ok())));
    await generate(createOpenAiProvider({ apiKeys: 'k', model }), { ...EDIT_INPUT, aspectRatio: '1:1' });
    expect(form!.get('model')).toBe(model);
    expect(form!.has('input_fidelity')).toBe(false);
  });

  it('refuses dall-e-2 ratios other than 1:1 before any call, naming the field', async () => {
    const provider = createOpenAiProvider({ apiKeys: 'k', model: 'dall-e-2' });
    expect(provider.capabilities.aspectRatios).toEqual(['1:1']);
    await expect(provider.submit(TEXT_INPUT, { signal: AbortSignal.timeout(1000) })).rejects.toMatchObject({
      code: 'validation',
      field: 'aspect_ratio',
    });
  });

  it('turns a moderation refusal into a moderated_input failure without retrying', async () => {
    let calls = 0;
    server.use(
      http.post(`${API}/images/generations`, () => {
        calls++;
        return HttpResponse.json(
          {
            error: {
              message: 'Your request was rejected by the safety system.',
              type: 'image_generation_user_error',
              code: 'moderation_blocked',
            },
          },
          { status: 400 },
        );
      }),
    );
    await expect(generate(createOpenAiProvider({ apiKeys: 'k' }))).rejects.toMatchObject({
      reason: 'moderated_input',
      message: expect.stringMatching(/safety system/),
    });
    expect(calls).toBe(1);
  });

  it('never repeats the API key a provider echoes in an error body: the task error says [redacted]', async () => {
    const key = 'sk-proj-echoed0123456789';
    server.use(
      http.post(`${API}/images/generations`, () =>
        HttpResponse.json({ error: { message: `Incorrect API key provided: ${key}.`, code: 'bad_request' } }, { status: 400 }),
      ),
    );
    const error: Error = await generate(createOpenAiProvider({ apiKeys: key })).then(
      () => new Error('no error'),
      (e: Error) => e,
    );
    expect(error.message).toMatch(/Incorrect API key provided: \[redacted\]/);
    expect(error.message).not.toContain(key);
    expect(JSON.stringify(error)).not.toContain(key);
  });

  it('retries 429 with Retry-After and 5xx, then succeeds', async () => {
    let calls = 0;
    server.use(
      http.post(`${API}/images/generations`, () =>
        ++calls === 1
          ? new HttpResponse(null, { status: 429, headers: { 'retry-after': '1' } })
          : calls === 2
            ? new HttpResponse(null, { status: 500 })
            : ok(),
      ),
    );
    const provider = createOpenAiProvider({ apiKeys: 'k', retryMinTimeoutMs: 1 });
    const started = Date.now();
    await generate(provider);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(provider.keyStats()[0]).toMatchObject({ coolDowns: 1, successes: 1 });
  });

  it('reports an answer without b64_json as invalid_response, and aborts on timeout', async () => {
    server.use(http.post(`${API}/images/generations`, () => HttpResponse.json({ data: [{ url: 'x' }] })));
    await expect(generate(createOpenAiProvider({ apiKeys: 'k' }))).rejects.toMatchObject({ reason: 'invalid_response' });
    server.use(http.post(`${API}/images/generations`, () => new Promise<Response>(() => {})));
    await expect(generate(createOpenAiProvider({ apiKeys: 'k' }), TEXT_INPUT, { timeoutMs: 100 })).rejects.toBeDefined();
  });

  it('cannot fetch an interrupted synchronous request again and says so', async () => {
    await expect(createOpenAiProvider({ apiKeys: 'k' }).poll('openai-x', { signal: AbortSignal.timeout(100) })).resolves.toMatchObject({
      state: 'failed',
      reason: 'not_found',
    });
  });
});
