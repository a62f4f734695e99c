import { http, HttpResponse } from 'msw';
import { MockImageModelV3 } from 'ai/test';
import { describe, expect, it, vi } from 'vitest';
import { createMemoryImageStore } from '../../src/adapters/image-stores/memory/index.js';
import { createAiSdkProvider } from '../../src/adapters/providers/ai-sdk/index.js';
import { createBflProvider } from '../../src/adapters/providers/bfl/index.js';
import { createFalProvider } from '../../src/adapters/providers/fal/index.js';
import { createFireworksProvider } from '../../src/adapters/providers/fireworks/index.js';
import { createOpenAiProvider } from '../../src/adapters/providers/openai/index.js';
import { createReplicateProvider } from '../../src/adapters/providers/replicate/index.js';
import { createMemoryStorage } from '../../src/adapters/storage/memory/index.js';
import type { ProviderAdapter } from '../../src/core/ports/provider-adapter.js';
import { createEngine } from '../../src/index.js';
import { PNG, useMsw } from './harness.js';

/**
 * Image-to-image through every adapter that edits images, driven through the engine: each failure
 * the provider can report ends in a clear error, one charge of 2 and one refund of 2, nothing
 * stored; a success carries the input image (and the strength, where the provider has one) in
 * the provider's own field names.
 */

const server = useMsw();
const silent = { warn: () => {}, error: () => {} };
const INPUT_B64 = Buffer.from(PNG).toString('base64');
const INPUT_DATA_URL = `data:image/png;base64,${INPUT_B64}`;
const BODY = { prompt: 'make the fox blue', input_image: INPUT_DATA_URL, image_prompt_strength: 0.7, aspect_ratio: '16:9', seed: 7 };
/** Fast retries: a 5xx is tried twice and then reported. */
const FAST = { retries: 1, retryMinTimeoutMs: 1 } as const;

const json = (body: unknown, status = 200) => HttpResponse.json(body as object, { status });
const png = () => new HttpResponse(PNG, { headers: { 'content-type': 'image/png' } });

/** What a scenario expects: the error code and, for provider errors, the reason. */
interface Expected {
  code: 'provider_error' | 'timeout';
  reason?: string;
  message: RegExp;
}

interface Failure {
  name: string;
  /** Installs the msw handlers of this failure; may return a counter of cancel calls. */
  arrange: () => { cancels?: () => number } | void;
  expected: Expected;
  /** The task's hard limit, for synchronous providers whose request hangs. */
  taskTimeoutMs?: number;
}

interface AdapterCase {
  name: string;
  make: () => ProviderAdapter;
  /** Installs the success handlers and returns what the provider received. */
  arrangeSuccess: () => { request: () => Promise<Record<string, unknown>> };
  /** Checks the provider's request body of a success. */
  checkRequest: (body: Record<string, unknown>, provider: ProviderAdapter) => void;
  failures: Failure[];
}

/** What an HTTP adapter says it cannot honour. */
const unsupportedOf = (provider: ProviderAdapter) => (provider as ProviderAdapter & { unsupported?: readonly string[] }).unsupported ?? [];

function engineWith(provider: ProviderAdapter, taskTimeoutMs = 3_000) {
  const storage = createMemoryStorage();
  const imageStore = createMemoryImageStore();
  const engine = createEngine({
    storage,
    provider,
    imageStore,
    logger: silent,
    pollPolicy: { maxPolls: 3, pollIntervalMs: 1 },
    taskTimeoutMs,
  });
  return { engine, storage, imageStore };
}

// ---------------------------------------------------------------------------------------------
// BFL and Fireworks share FLUX status words.

const BFL = 'https://api.bfl.ai';
const BFL_POLL = 'https://api.us1.bfl.ai/v1/get_result';
const BFL_CDN = 'https://delivery-us1.bfl.ai/results/t1/sample.png';

function bfl(statuses: Array<unknown | (() => Response)>, submit?: () => Response) {
  let captured: Promise<Record<string, unknown>> | undefined;
  let i = 0;
  server.use(
    http.post(`${BFL}/v1/:model`, async ({ request, params }) => {
      captured = request.json().then((body) => ({ model: params.model, ...(body as object) }));
      return submit ? submit() : json({ id: 't1', polling_url: `${BFL_POLL}?id=t1` });
    }),
    http.get(BFL_POLL, () => {
      const status = statuses[Math.min(i++, statuses.length - 1)];
      return typeof status === 'function' ? (status as () => Response)() : json(status);
    }),
    http.get(BFL_CDN, png),
  );
  return { request: async () => captured! };
}

function fluxFailures(
  arrange: (statuses: Array<unknown | (() => Response)>, submit?: () => Response) => unknown,
  provider: string,
): Failure[] {
  const word = (status: string, extra: object = {}) => ({ id: 't1', status, ...extra });
  return [
    {
      name: 'a 5xx on submit that stays 5xx after retries',
      arrange: () => void arrange([word('Ready')], () => new HttpResponse('upstream down', { status: 503 })),
      expected: { code: 'provider_error', reason: 'provider_error', message: /HTTP 503\) after retries/ },
    },
    {
      name: 'a 5xx on poll that stays 5xx after retries',
      arrange: () => void arrange([() => new HttpResponse('boom', { status: 500 })]),
      expected: { code: 'provider_error', reason: 'provider_error', message: /HTTP 500\) after retries/ },
    },
    {
      name: 'the status word Error',
      arrange: () => void arrange([word('Pending'), word('Error', { details: 'GPU fault' })]),
      expected: { code: 'provider_error', reason: 'provider_error', message: new RegExp(`${provider} failed the generation.*GPU fault`) },
    },
    {
      name: 'Request Moderated (input)',
      arrange: () => void arrange([word('Request Moderated')]),
      expected: { code: 'provider_error', reason: 'moderated_input', message: /refused the request/ },
    },
    {
      name: 'Content Moderated (output)',
      arrange: () => void arrange([word('Content Moderated')]),
      expected: { code: 'provider_error', reason: 'moderated_output', message: /withheld the generated image/ },
    },
    {
      name: 'Task not found',
      arrange: () => void arrange([word('Task not found')]),
      expected: { code: 'provider_error', reason: 'not_found', message: /does not know this request/ },
    },
    {
      name: 'Pending past the poll budget',
      arrange: () => void arrange([word('Pending')]),
      expected: { code: 'timeout', message: /did not finish after 3 polls/ },
    },
    {
      name: 'a status without a status word',
      arrange: () => void arrange([{ unexpected: true }]),
      expected: { code: 'provider_error', reason: 'invalid_response', message: /without a "status" word/ },
    },
    {
      name: 'Ready without result.sample',
      arrange: () => void arrange([word('Ready', { result: {} })]),
      expected: { code: 'provider_error', reason: 'invalid_response', message: /without an image/ },
    },
    {
      name: 'a submit answer that is not JSON',
      arrange: () => void arrange([word('Ready')], () => new HttpResponse('<html>gateway</html>')),
      expected: { code: 'provider_error', reason: 'invalid_response', message: /not JSON/ },
    },
  ];
}

const FIREWORKS = 'https://api.fireworks.ai/inference/v1/workflows/accounts/fireworks/models';
const FIREWORKS_CDN = 'https://fireworks-results.example.com/r1.png';

function fireworks(statuses: Array<unknown | (() => Response)>, submit?: () => Response) {
  let captured: Promise<Record<string, unknown>> | undefined;
  let i = 0;
  server.use(
    http.post(`${FIREWORKS}/flux-kontext-pro`, async ({ request }) => {
      captured = request.json() as Promise<Record<string, unknown>>;
      return submit ? submit() : json({ request_id: 'r1' });
    }),
    http.post(`${FIREWORKS}/flux-kontext-pro/get_result`, () => {
      const status = statuses[Math.min(i++, statuses.length - 1)];
      if (typeof status === 'function') return (status as () => Response)();
      const body = status as { status: string; result?: unknown };
      return json(body.status === 'Ready' && !('result' in body) ? { ...body, result: { sample: FIREWORKS_CDN } } : body);
    }),
    http.get(FIREWORKS_CDN, png),
  );
  return { request: async () => captured! };
}

// ---------------------------------------------------------------------------------------------
// fal queue.

const FAL = 'https://queue.fal.run';
const FAL_RESP = `${FAL}/fal-ai/flux-pro/requests/q1`;
const FAL_CDN = 'https://v3.fal.media/files/out.png';

function fal(
  statuses: Array<unknown | (() => Response)>,
  result: () => Response = () => json({ images: [{ url: FAL_CDN, content_type: 'image/png' }], has_nsfw_concepts: [false] }),
) {
  let captured: Promise<Record<string, unknown>> | undefined;
  let url = '';
  let cancels = 0;
  let i = 0;
  server.use(
    http.post(`${FAL}/fal-ai/*`, async ({ request }) => {
      url = request.url;
      captured = request.json() as Promise<Record<string, unknown>>;
      return json({ request_id: 'q1', response_url: FAL_RESP, status_url: `${FAL_RESP}/status`, cancel_url: `${FAL_RESP}/cancel` });
    }),
    http.get(`${FAL_RESP}/status`, () => {
      const status = statuses[Math.min(i++, statuses.length - 1)];
      return typeof status === 'function' ? (status as () => Response)() : json(status);
    }),
    http.get(FAL_RESP, result),
    http.put(`${FAL_RESP}/cancel`, () => {
      cancels++;
      return json({ status: 'CANCELLATION_REQUESTED' });
    }),
    http.get(FAL_CDN, png),
  );
  return { request: async () => ({ url, ...(await captured!) }), cancels: () => cancels };
}

// ---------------------------------------------------------------------------------------------
// Replicate predictions.

const REPLICATE = 'https://api.replicate.com/v1';
const REPLICATE_OUT = 'https://replicate.delivery/xezq/out.png';

function replicate(states: Array<unknown | (() => Response)>, create?: () => Response) {
  let captured: Promise<Record<string, unknown>> | undefined;
  let cancels = 0;
  let i = 0;
  server.use(
    http.post(`${REPLICATE}/models/black-forest-labs/flux-kontext-pro/predictions`, async ({ request }) => {
      captured = request.json() as Promise<Record<string, unknown>>;
      return create ? create() : json({ id: 'p1', status: 'starting' }, 201);
    }),
    http.get(`${REPLICATE}/predictions/p1`, () => {
      const state = states[Math.min(i++, states.length - 1)];
      return typeof state === 'function' ? (state as () => Response)() : json(state);
    }),
    http.post(`${REPLICATE}/predictions/p1/cancel`, () => {
      cancels++;
      return json({ id: 'p1', status: 'canceled' });
    }),
    http.get(REPLICATE_OUT, png),
  );
  return { request: async () => captured!, cancels: () => cancels };
}

const prediction = (status: string, extra: object = {}) => ({ id: 'p1', status, ...extra });

// ---------------------------------------------------------------------------------------------
// OpenAI Images API (synchronous edits).

const OPENAI = 'https://api.openai.com/v1';

function openai(answer: () => Response | Promise<Response> = () => json({ created: 1, data: [{ b64_json: INPUT_B64 }] })) {
  let form: FormData | undefined;
  server.use(
    http.post(`${OPENAI}/images/edits`, async ({ request }) => {
      form = await request.formData();
      return answer();
    }),
  );
  return {
    request: async () => {
      const image = form!.get('image[]') as File;
      return {
        ...Object.fromEntries([...form!.entries()].filter(([, v]) => typeof v === 'string')),
        'image[]': { type: image.type, b64: Buffer.from(await image.arrayBuffer()).toString('base64') },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// AI SDK: a model whose generate call behaves as told (the SDK's own mock model).

let aiSdkBehaviour: (options: { abortSignal?: AbortSignal | undefined }) => Promise<unknown> = async () => ({ images: [PNG] });
let aiSdkCalls: any[] = [];
const aiSdkModel = () =>
  new MockImageModelV3({
    doGenerate: async (options) => {
      aiSdkCalls.push(options);
      const out = (await aiSdkBehaviour(options)) as { images: Uint8Array[] };
      return { ...out, warnings: [], response: { timestamp: new Date(), modelId: 'mock', headers: {} } };
    },
  });
function aiSdk(behaviour: typeof aiSdkBehaviour) {
  aiSdkCalls = [];
  aiSdkBehaviour = behaviour;
}
/** Resolves never; rejects with the abort reason when the call is aborted. */
const hangUntilAborted = (signal: AbortSignal | undefined) =>
  new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }));

// ---------------------------------------------------------------------------------------------

const cases: AdapterCase[] = [
  {
    name: 'bfl (Kontext)',
    make: () => createBflProvider({ apiKeys: 'bfl-key', ...FAST }),
    arrangeSuccess: () =>
      bfl([
        { id: 't1', status: 'Pending', progress: 0.5 },
        { id: 't1', status: 'Ready', result: { sample: BFL_CDN } },
      ]),
    checkRequest: (body, provider) => {
      expect(body).toMatchObject({
        model: 'flux-kontext-pro',
        prompt: 'make the fox blue',
        input_image: INPUT_B64,
        aspect_ratio: '16:9',
        seed: 7,
        safety_tolerance: 2,
      });
      // Kontext has no strength: not sent, and said so.
      expect(body).not.toHaveProperty('image_prompt_strength');
      expect(unsupportedOf(provider)).toContain('image_prompt_strength');
    },
    failures: fluxFailures(bfl, 'bfl'),
  },
  {
    name: 'bfl (Ultra)',
    make: () => createBflProvider({ apiKeys: 'bfl-key', editModel: 'flux-pro-1.1-ultra', ...FAST }),
    arrangeSuccess: () => bfl([{ id: 't1', status: 'Ready', result: { sample: BFL_CDN } }]),
    checkRequest: (body) => {
      expect(body).toMatchObject({
        model: 'flux-pro-1.1-ultra',
        image_prompt: INPUT_B64,
        image_prompt_strength: 0.7,
        aspect_ratio: '16:9',
      });
      expect(body).not.toHaveProperty('input_image');
    },
    failures: [],
  },
  {
    name: 'fireworks',
    make: () => createFireworksProvider({ apiKeys: 'fw-key', ...FAST }),
    arrangeSuccess: () =>
      fireworks([
        { id: 'r1', status: 'Pending' },
        { id: 'r1', status: 'Ready' },
      ]),
    checkRequest: (body, provider) => {
      expect(body).toMatchObject({
        prompt: 'make the fox blue',
        input_image: `data:image/png;base64,${INPUT_B64}`,
        aspect_ratio: '16:9',
        seed: 7,
        safety_tolerance: 2,
      });
      expect(body).not.toHaveProperty('image_prompt_strength');
      expect(unsupportedOf(provider)).toContain('image_prompt_strength');
    },
    failures: fluxFailures(fireworks, 'fireworks'),
  },
  {
    name: 'fal',
    make: () => createFalProvider({ apiKeys: 'fal-key', ...FAST }),
    arrangeSuccess: () => fal([{ status: 'IN_QUEUE', queue_position: 1 }, { status: 'IN_PROGRESS' }, { status: 'COMPLETED' }]),
    checkRequest: (body, provider) => {
      expect(body).toMatchObject({
        url: `${FAL}/fal-ai/flux-pro/kontext`,
        prompt: 'make the fox blue',
        image_url: INPUT_DATA_URL,
        aspect_ratio: '16:9',
        seed: 7,
      });
      expect(body).not.toHaveProperty('image_prompt_strength');
      expect(unsupportedOf(provider)).toContain('image_prompt_strength');
    },
    failures: [
      {
        name: 'a 5xx on status that stays 5xx after retries',
        arrange: () => void fal([() => new HttpResponse('boom', { status: 502 })]),
        expected: { code: 'provider_error', reason: 'provider_error', message: /HTTP 502\) after retries/ },
      },
      {
        name: 'a failed result (422 with detail)',
        arrange: () => void fal([{ status: 'COMPLETED' }], () => json({ detail: 'CUDA out of memory' }, 422)),
        expected: { code: 'provider_error', reason: 'provider_error', message: /CUDA out of memory/ },
      },
      {
        name: 'a content-policy refusal (input)',
        arrange: () =>
          void fal([{ status: 'COMPLETED' }], () => json({ detail: 'Image generation failed: content policy violation' }, 422)),
        expected: { code: 'provider_error', reason: 'moderated_input', message: /flagged by its content checks/ },
      },
      {
        name: 'has_nsfw_concepts (output)',
        arrange: () => void fal([{ status: 'COMPLETED' }], () => json({ images: [{ url: FAL_CDN }], has_nsfw_concepts: [true] })),
        expected: { code: 'provider_error', reason: 'moderated_output', message: /safety checker flagged it/ },
      },
      {
        name: 'IN_PROGRESS past the poll budget',
        arrange: () => fal([{ status: 'IN_PROGRESS' }]),
        expected: { code: 'timeout', message: /did not finish after 3 polls/ },
      },
      {
        name: 'a status without a status word',
        arrange: () => void fal([{ queue: 'weird' }]),
        expected: { code: 'provider_error', reason: 'invalid_response', message: /without a "status" word/ },
      },
      {
        name: 'a result without images',
        arrange: () => void fal([{ status: 'COMPLETED' }], () => json({ images: [] })),
        expected: { code: 'provider_error', reason: 'invalid_response', message: /result without images/ },
      },
    ],
  },
  {
    name: 'replicate',
    make: () => createReplicateProvider({ apiKeys: 'r8_token', ...FAST }),
    arrangeSuccess: () => replicate([prediction('processing'), prediction('succeeded', { output: REPLICATE_OUT })]),
    checkRequest: (body, provider) => {
      expect(body.input).toMatchObject({
        prompt: 'make the fox blue',
        input_image: INPUT_DATA_URL,
        aspect_ratio: 'match_input_image',
        seed: 7,
      });
      expect(body.input).not.toHaveProperty('image_prompt_strength');
      expect(unsupportedOf(provider)).toContain('image_prompt_strength');
    },
    failures: [
      {
        name: 'a 5xx on create that stays 5xx after retries',
        arrange: () =>
          void replicate([prediction('succeeded', { output: REPLICATE_OUT })], () => new HttpResponse('down', { status: 503 })),
        expected: { code: 'provider_error', reason: 'provider_error', message: /HTTP 503\) after retries/ },
      },
      {
        name: 'the status failed',
        arrange: () => void replicate([prediction('failed', { error: 'CUDA error: device-side assert triggered' })]),
        expected: { code: 'provider_error', reason: 'provider_error', message: /failed the prediction.*CUDA/ },
      },
      {
        name: 'a prompt flagged as sensitive (input)',
        arrange: () => void replicate([prediction('failed', { error: 'Prediction failed: prompt was flagged as sensitive (E005)' })]),
        expected: { code: 'provider_error', reason: 'moderated_input', message: /blocked the request/ },
      },
      {
        name: 'an output flagged as sensitive (output)',
        arrange: () => void replicate([prediction('failed', { error: 'The generated image was flagged as sensitive (E005)' })]),
        expected: { code: 'provider_error', reason: 'moderated_output', message: /blocked the generated image/ },
      },
      {
        name: 'the status canceled',
        arrange: () => void replicate([prediction('canceled')]),
        expected: { code: 'provider_error', reason: 'provider_error', message: /prediction was canceled/ },
      },
      {
        name: 'processing past the poll budget',
        arrange: () => replicate([prediction('processing')]),
        expected: { code: 'timeout', message: /did not finish after 3 polls/ },
      },
      {
        name: 'succeeded without an output URL',
        arrange: () => void replicate([prediction('succeeded', { output: null })]),
        expected: { code: 'provider_error', reason: 'invalid_response', message: /without an output URL/ },
      },
      {
        name: 'a create answer without an id',
        arrange: () => void replicate([], () => json({ status: 'starting' }, 201)),
        expected: { code: 'provider_error', reason: 'invalid_response', message: /without an id/ },
      },
    ],
  },
  {
    name: 'openai',
    make: () => createOpenAiProvider({ apiKeys: 'sk-test', ...FAST }),
    arrangeSuccess: () => openai(),
    checkRequest: (body) => {
      expect(body).toMatchObject({
        model: 'gpt-image-1',
        prompt: 'make the fox blue',
        size: '1536x1024',
        input_fidelity: 'high',
        'image[]': { type: 'image/png', b64: INPUT_B64 },
      });
    },
    failures: [
      {
        name: 'a 5xx that stays 5xx after retries',
        arrange: () => void openai(() => new HttpResponse('overloaded', { status: 500 })),
        expected: { code: 'provider_error', reason: 'provider_error', message: /HTTP 500\) after retries/ },
      },
      {
        name: 'a moderation refusal (input)',
        arrange: () =>
          void openai(() =>
            json(
              {
                error: {
                  message: 'Your request was rejected by the safety system.',
                  type: 'image_generation_user_error',
                  code: 'moderation_blocked',
                },
              },
              400,
            ),
          ),
        expected: { code: 'provider_error', reason: 'moderated_input', message: /safety system flagged/ },
      },
      {
        name: 'a request that hangs past the task timeout',
        arrange: () => void openai(() => new Promise<Response>(() => {})),
        taskTimeoutMs: 150,
        expected: { code: 'timeout', message: /took longer than/ },
      },
      {
        name: 'an answer without b64_json',
        arrange: () => void openai(() => json({ data: [{ url: 'https://example.com/x.png' }] })),
        expected: { code: 'provider_error', reason: 'invalid_response', message: /without data\[0\]\.b64_json/ },
      },
      {
        name: 'b64_json that is not an image',
        arrange: () => void openai(() => json({ data: [{ b64_json: Buffer.from('hello').toString('base64') }] })),
        expected: { code: 'provider_error', reason: 'invalid_response', message: /not a PNG, JPEG or WebP/ },
      },
    ],
  },
  {
    name: 'ai-sdk',
    make: () => createAiSdkProvider({ model: aiSdkModel(), name: 'mock-sdk', maxRetries: 0 }),
    arrangeSuccess: () => {
      aiSdk(async () => ({ images: [PNG] }));
      return { request: async () => aiSdkCalls[0] };
    },
    checkRequest: (call) => {
      expect(call).toMatchObject({ prompt: 'make the fox blue', aspectRatio: '16:9', seed: 7, n: 1 });
      const files = call.files as Array<{ type: string; data: Uint8Array | string }>;
      expect(files).toHaveLength(1);
      expect(Buffer.from(files[0]!.data as Uint8Array).toString('base64')).toBe(INPUT_B64);
    },
    failures: [
      {
        name: 'an error from the model',
        arrange: () => aiSdk(async () => Promise.reject(new Error('upstream exploded'))),
        expected: { code: 'provider_error', reason: 'provider_error', message: /mock-sdk failed: upstream exploded/ },
      },
      {
        name: 'a content-policy refusal (input)',
        arrange: () => aiSdk(async () => Promise.reject(new Error('Request blocked by content policy'))),
        expected: { code: 'provider_error', reason: 'moderated_input', message: /refused the request/ },
      },
      {
        name: 'a call that hangs past the task timeout',
        arrange: () => aiSdk((options) => hangUntilAborted(options.abortSignal)),
        taskTimeoutMs: 150,
        expected: { code: 'timeout', message: /took longer than/ },
      },
      {
        name: 'an empty image',
        arrange: () => aiSdk(async () => ({ images: [new Uint8Array()] })),
        expected: { code: 'provider_error', reason: 'invalid_response', message: /empty image/ },
      },
    ],
  },
];

describe('image-to-image through each provider adapter', () => {
  it('covers every adapter whose capabilities say it edits images', () => {
    for (const c of cases) expect(c.make().capabilities.imageToImage).toBe(true);
  });

  describe.each(cases)('$name', (c) => {
    it('sends the input image (and the strength where the provider takes one) in its own field names, charges 2 and stores the result', async () => {
      const seen = c.arrangeSuccess();
      const provider = c.make();
      const { engine, storage, imageStore } = engineWith(provider);
      await engine.credits.grant('alice', 10, { idempotencyKey: 'welcome' });
      const { record, creditsRemaining } = await engine.imageToImage.run('alice', BODY);
      expect(creditsRemaining).toBe(8);
      expect(record).toMatchObject({ type: 'image_to_image', imagePromptStrength: 0.7 });
      c.checkRequest(await seen.request(), provider);
      expect(imageStore.size).toBe(1);
      expect((await storage.listRecords('alice', { limit: 10 })).items).toHaveLength(1);
    });

    it.each(c.failures)('refunds exactly once on $name', async (failure) => {
      const arranged = failure.arrange() ?? {};
      const provider = c.make();
      const cancel = provider.cancel ? vi.spyOn(provider, 'cancel') : null;
      const { engine, storage, imageStore } = engineWith(provider, failure.taskTimeoutMs);
      await engine.credits.grant('alice', 10, { idempotencyKey: 'welcome' });

      const error = await engine.imageToImage.run('alice', BODY).then(
        () => expect.fail('the generation should have failed'),
        (e: unknown) => e as { code: string; message: string; details: Record<string, unknown> },
      );
      expect(error).toMatchObject({ code: failure.expected.code });
      if (failure.expected.reason) expect(error.details.reason).toBe(failure.expected.reason);
      expect(error.message).toMatch(failure.expected.message);
      expect(error.details).toMatchObject({ credits_refunded: 2, credits_remaining: 10 });

      expect(await engine.credits.balance('alice')).toBe(10);
      const entries = (await engine.credits.history('alice', { limit: 100 })).items.filter((e) => e.kind !== 'grant');
      expect(entries.map((e) => `${e.kind} ${e.amount}`).sort()).toEqual(['charge -2', 'refund 2']);
      const charge = entries.find((e) => e.kind === 'charge')!;
      expect(charge.reference).toMatch(/^record:alice:\d+$/);
      expect(entries.find((e) => e.kind === 'refund')!.reference).toBe(charge.idempotencyKey);

      expect((await storage.listRecords('alice', { limit: 10 })).items).toEqual([]);
      expect(imageStore.size).toBe(0);

      if (failure.expected.code === 'timeout' && cancel) {
        // The provider is told to stop (fal, Replicate); BFL and Fireworks only free the key.
        await vi.waitFor(() => expect(cancel).toHaveBeenCalledTimes(1));
        if (arranged.cancels) await vi.waitFor(() => expect(arranged.cancels!()).toBe(1));
      }
      if ('keyStats' in provider) {
        await vi.waitFor(() =>
          expect((provider as { keyStats(): Array<{ inFlight: number }> }).keyStats().every((k) => k.inFlight === 0)).toBe(true),
        );
      }
    });
  });
});

describe('a generation given up while it waits on the provider', () => {
  /** An engine whose poll budget is far beyond `taskTimeoutMs`: the timeout or the caller ends the wait. */
  async function patientEngine(provider: ProviderAdapter, taskTimeoutMs?: number) {
    const imageStore = createMemoryImageStore();
    const engine = createEngine({
      storage: createMemoryStorage(),
      provider,
      imageStore,
      logger: silent,
      pollPolicy: { maxPolls: 10_000, pollIntervalMs: 5 },
      ...(taskTimeoutMs ? { taskTimeoutMs } : {}),
    });
    await engine.credits.grant('alice', 10, { idempotencyKey: 'welcome' });
    return { engine, imageStore };
  }

  it.each([
    ['fal', () => fal([{ status: 'IN_PROGRESS' }]), () => createFalProvider({ apiKeys: 'k', ...FAST })],
    ['replicate', () => replicate([prediction('processing')]), () => createReplicateProvider({ apiKeys: 'k', ...FAST })],
  ] as const)('%s: the task timeout cancels the provider request and refunds once', async (_name, arrange, make) => {
    const seen = arrange();
    const { engine, imageStore } = await patientEngine(make(), 150);
    await expect(engine.imageToImage.run('alice', BODY)).rejects.toMatchObject({ code: 'timeout' });
    await vi.waitFor(() => expect(seen.cancels()).toBe(1));
    expect(await ledgerAmounts(engine)).toEqual([10, -2, 2]);
    expect(imageStore.size).toBe(0);
  });

  it('replicate: a caller that goes away cancels the prediction', async () => {
    const seen = replicate([prediction('processing')]);
    const { engine } = await patientEngine(createReplicateProvider({ apiKeys: 'k', ...FAST }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('client went away')), 80);
    await expect(engine.imageToImage.run('alice', BODY, { signal: controller.signal })).rejects.toThrow('client went away');
    await vi.waitFor(() => expect(seen.cancels()).toBe(1));
    expect(await ledgerAmounts(engine)).toEqual([10, -2, 2]);
  });

  it('replicate: a poll that keeps failing with 5xx cancels the prediction it gave up on', async () => {
    const seen = replicate([prediction('processing'), () => new HttpResponse('down', { status: 503 })]);
    const { engine } = await patientEngine(createReplicateProvider({ apiKeys: 'k', ...FAST }));
    await expect(engine.imageToImage.run('alice', BODY)).rejects.toMatchObject({
      code: 'provider_error',
      details: { reason: 'provider_error' },
    });
    await vi.waitFor(() => expect(seen.cancels()).toBe(1));
    expect(await ledgerAmounts(engine)).toEqual([10, -2, 2]);
  });

  it('replicate: an engine that shuts down keeps the prediction for the restarted process (no cancel)', async () => {
    const seen = replicate([prediction('processing')]);
    const { engine } = await patientEngine(createReplicateProvider({ apiKeys: 'k', ...FAST }));
    await engine.start();
    const { batch } = await engine.batches.submit('alice', { prompt: 'a lighthouse', count: 1 });
    await vi.waitFor(async () => expect((await engine.batches.status('alice', batch.batchId)).tasks[0]!.providerRequestId).toBeTruthy());
    await engine.stop({ graceMs: 0 });
    await new Promise((r) => setTimeout(r, 30));
    expect(seen.cancels()).toBe(0);
    expect((await engine.batches.status('alice', batch.batchId)).tasks[0]!.status).toBe('processing');
  });

  it('replicate: a prediction that failed is not cancelled', async () => {
    const seen = replicate([prediction('failed', { error: 'boom' })]);
    const { engine } = await patientEngine(createReplicateProvider({ apiKeys: 'k', ...FAST }));
    await expect(engine.imageToImage.run('alice', BODY)).rejects.toMatchObject({ code: 'provider_error' });
    await new Promise((r) => setTimeout(r, 30));
    expect(seen.cancels()).toBe(0);
  });
});

async function ledgerAmounts(engine: ReturnType<typeof createEngine>): Promise<number[]> {
  return (await engine.credits.history('alice', { limit: 100 })).items.reverse().map((e) => e.amount);
}
