import { createFalClient } from '@fal-ai/client';
import { describe, expect, it } from 'vitest';
import { createFalProvider } from '../../../src/adapters/providers/fal/index.js';
import { EDIT_INPUT, PNG, TEXT_INPUT, generate } from '../harness.js';
import { type Answer, comparable, outcomeOf, type Outcome, useCaptureServer } from './capture-server.js';

const DATA_URL = `data:image/png;base64,${Buffer.from(PNG).toString('base64')}`;
const images = (origin: string) => ({
  images: [{ url: `${origin}/results/out.png`, content_type: 'image/png' }],
  has_nsfw_concepts: [false],
});
let statusAt: (n: number) => string = () => 'COMPLETED';
let result: (origin: string) => Answer = (origin) => ({ json: images(origin) });
let polls = 0;
const server = useCaptureServer((request, origin): Answer => {
  if (request.path.startsWith('/results/')) return { bytes: PNG, headers: { 'content-type': 'image/png' } };
  if (request.method === 'POST') {
    const app = request.path.split('/').slice(1, 3).join('/');
    const url = `${origin}/${app}/requests/r1`;
    return { json: { request_id: 'r1', response_url: url, status_url: `${url}/status`, cancel_url: `${url}/cancel` } };
  }
  if (request.path.endsWith('/status')) return { json: { status: statusAt(polls++), request_id: 'r1' } };
  return result(origin);
});

const fal = () =>
  createFalClient({
    credentials: 'test-key',
    requestMiddleware: async (request) => ({ ...request, url: request.url.replace('https://queue.fal.run', server.origin) }),
  });
const official = (endpoint: string, input: Record<string, unknown>) =>
  fal().subscribe(endpoint, { input: input as never, mode: 'polling', pollInterval: 1 });
const ours = (model: string, editModel: string, edit: boolean) =>
  generate(createFalProvider({ apiKeys: 'test-key', queueUrl: server.origin, model, editModel }), edit ? EDIT_INPUT : TEXT_INPUT);

const base = { prompt: 'a red fox', output_format: 'png', num_images: 1, seed: 7 };
/** Each endpoint of the table, with the input its type in `@fal-ai/client` (endpoints.d.ts) takes for the same request. */
const cases: Array<[string, boolean, Record<string, unknown>]> = [
  ['fal-ai/flux-pro/kontext/text-to-image', false, { ...base, aspect_ratio: '16:9', safety_tolerance: '2' }],
  ['fal-ai/flux-pro/kontext', true, { ...base, aspect_ratio: '16:9', safety_tolerance: '2', image_url: DATA_URL }],
  ['fal-ai/flux-pro/v1.1', false, { ...base, image_size: 'landscape_16_9', safety_tolerance: '2' }],
  ['fal-ai/flux/dev', false, { ...base, image_size: 'landscape_16_9' }],
  ['fal-ai/flux/dev/image-to-image', true, { ...base, image_url: DATA_URL, strength: 0.3 }],
];

describe('fal adapter against @fal-ai/client', () => {
  it.each(cases)(
    '%s: same method, path, auth, content type and input fields through submit, status and result',
    async (endpoint, edit, input) => {
      statusAt = (n) => (n === 0 ? 'IN_PROGRESS' : 'COMPLETED');
      result = (origin) => ({ json: images(origin) });
      polls = 0;
      server.reset();
      await official(endpoint, input);
      const theirs = server.requests.map(comparable);
      polls = 0;
      server.reset();
      const mine = await ours(endpoint, endpoint, edit);
      const seen = server.requests.map(comparable);
      // The client stops at the result; the adapter also copies the image (without the key).
      expect(seen.slice(0, theirs.length)).toEqual(theirs);
      expect(seen[0]!.path).toBe(`/${endpoint}`);
      expect(seen.at(-1)).toMatchObject({ path: '/results/out.png', auth: null });
      expect(mine.image.bytes).toEqual(PNG);
    },
  );

  // The client's queue statuses (IN_QUEUE, IN_PROGRESS: poll on; COMPLETED: fetch the result) and result shapes.
  const shapes: Array<[string, string, (origin: string) => Answer, Outcome, Outcome]> = [
    ['IN_QUEUE then COMPLETED with images', 'IN_QUEUE', (o) => ({ json: images(o) }), 'succeeded', 'succeeded'],
    ['IN_PROGRESS then COMPLETED with images', 'IN_PROGRESS', (o) => ({ json: images(o) }), 'succeeded', 'succeeded'],
    [
      'COMPLETED with a 422 detail',
      'COMPLETED',
      () => ({ status: 422, json: { detail: [{ msg: 'bad input', loc: ['body'] }] } }),
      'failed',
      'failed',
    ],
    ['COMPLETED with a 500', 'COMPLETED', () => ({ status: 500, json: { detail: 'internal' } }), 'failed', 'failed'],
    // The client hands the blanked image back; the adapter reads has_nsfw_concepts as a moderated output.
    [
      'COMPLETED with has_nsfw_concepts',
      'COMPLETED',
      (o) => ({ json: { ...images(o), has_nsfw_concepts: [true] } }),
      'succeeded',
      'moderated',
    ],
  ];
  it.each(shapes)('%s: the outcome the client reaches', async (_label, first, answer, theirsOutcome, oursOutcome) => {
    statusAt = (n) => (n === 0 ? first : 'COMPLETED');
    result = answer;
    polls = 0;
    const theirs = await official('fal-ai/flux-pro/kontext/text-to-image', base).then(
      () => 'succeeded' as Outcome,
      () => 'failed' as Outcome,
    );
    polls = 0;
    const mine = await generate(createFalProvider({ apiKeys: 'k', queueUrl: server.origin, retries: 0 })).then(outcomeOf, outcomeOf);
    expect(theirs).toBe(theirsOutcome);
    expect(mine).toBe(oursOutcome);
  });
});
