import Replicate from 'replicate';
import { describe, expect, it } from 'vitest';
import { createReplicateProvider } from '../../../src/adapters/providers/replicate/index.js';
import { EDIT_INPUT, PNG, TEXT_INPUT, generate } from '../harness.js';
import { type Answer, type Captured, comparable, outcomeOf, type Outcome, useCaptureServer } from './capture-server.js';

let states: Array<(origin: string) => Record<string, unknown>> = [];
let polls = 0;
const done = (origin: string) => ({ id: 'p1', status: 'succeeded', output: `${origin}/results/out.png` });
const server = useCaptureServer((request, origin): Answer => {
  if (request.path.startsWith('/results/')) return { bytes: PNG, headers: { 'content-type': 'image/png' } };
  if (request.path === '/v1/files') return { status: 201, json: { id: 'f1', urls: { get: `${origin}/v1/files/f1` } } };
  if (request.method === 'POST') return { status: 201, json: { id: 'p1', status: 'starting' } };
  const next = states[Math.min(polls++, states.length - 1)] ?? done;
  return { json: next(origin) };
});

// fileEncodingStrategy 'data-uri' is broken in replicate 1.4.0 (transformFileInputsToBase64EncodedDataURIs is
// called with the client as its inputs), so the client uploads through the Files API, as the adapter does above 256 KB.
const client = () => new Replicate({ auth: 'test-token', baseUrl: `${server.origin}/v1`, useFileOutput: false });
/** An input image over the adapter's 256 KB data-URL limit, so both upload it. */
const LARGE = new Uint8Array(300 * 1024);
LARGE.set(PNG);
async function official(model: `${string}/${string}`, input: Record<string, unknown>) {
  const replicate = client();
  const prediction = await replicate.predictions.create({ model, input });
  return replicate.wait(prediction, { interval: 1 });
}
const ours = (model: string, edit = false) =>
  generate(
    createReplicateProvider({ apiKeys: 'test-token', baseUrl: `${server.origin}/v1`, model }),
    edit ? { ...EDIT_INPUT, inputImage: { bytes: LARGE, contentType: 'image/png' } } : TEXT_INPUT,
  );

/** Replicate's body nests the model's input: its field names and types are compared too. */
const withInput = (request: Captured) => {
  const input = (request.body.input ?? {}) as Record<string, unknown>;
  // The client adds an optional `metadata` part to a file upload; `content` is the file.
  const { metadata: _metadata, ...shape } = request.shape;
  return { ...comparable(request), shape, input: Object.fromEntries(Object.entries(input).map(([k, v]) => [k, typeof v])) };
};
const inputOf = (requests: Captured[]) => requests.find((r) => r.body.input)!.body.input as Record<string, unknown>;

const image = () => new Blob([LARGE], { type: 'image/png' });
const text = { prompt: 'a red fox', aspect_ratio: '16:9', output_format: 'png', seed: 7 };
/** Each family, with the input its model's schema on Replicate takes for the same request. */
const cases: Array<[string, boolean, () => Record<string, unknown>]> = [
  ['black-forest-labs/flux-kontext-pro', false, () => text],
  ['black-forest-labs/flux-kontext-pro', true, () => ({ ...text, aspect_ratio: 'match_input_image', input_image: image() })],
  ['black-forest-labs/flux-dev', false, () => text],
  ['black-forest-labs/flux-dev', true, () => ({ ...text, image: image(), prompt_strength: 0.3 })],
  ['black-forest-labs/flux-1.1-pro', false, () => text],
  ['black-forest-labs/flux-schnell', false, () => text],
];

describe('replicate adapter against the replicate client', () => {
  it.each(cases)('%s (edit: %s): same method, path, auth, content type and input fields', async (model, edit, input) => {
    states = [done];
    polls = 0;
    server.reset();
    await official(model as `${string}/${string}`, input());
    const theirs = server.requests.map(withInput);
    const theirsImage = inputOf(server.requests).input_image ?? inputOf(server.requests).image;
    polls = 0;
    server.reset();
    const mine = await ours(model, edit);
    const seen = server.requests.map(withInput);
    expect(seen.slice(0, theirs.length)).toEqual(theirs);
    expect(seen[edit ? 1 : 0]!.path).toBe(`/v1/models/${model}/predictions`);
    if (edit) expect(inputOf(server.requests).input_image ?? inputOf(server.requests).image).toBe(theirsImage);
    expect(mine.image.bytes).toEqual(PNG);
  });

  // The client ends on succeeded, failed and canceled and polls on the rest (starting, processing).
  const words: Array<[string, Array<(o: string) => Record<string, unknown>>, Outcome, Outcome]> = [
    ['starting → processing → succeeded', [() => ({ id: 'p1', status: 'processing' }), done], 'succeeded', 'succeeded'],
    [
      'succeeded with a list of URLs',
      [(o) => ({ id: 'p1', status: 'succeeded', output: [`${o}/results/out.png`] })],
      'succeeded',
      'succeeded',
    ],
    ['failed', [() => ({ id: 'p1', status: 'failed', error: 'CUDA out of memory' })], 'failed', 'failed'],
    ['canceled', [() => ({ id: 'p1', status: 'canceled' })], 'failed', 'failed'],
    // The client reports E005 as any failure; the adapter names it a moderation.
    [
      'failed with E005',
      [() => ({ id: 'p1', status: 'failed', error: 'The input or output was flagged as sensitive. (E005)' })],
      'failed',
      'moderated',
    ],
  ];
  it.each(words)('%s: the outcome the client reaches', async (_label, sequence, theirsOutcome, oursOutcome) => {
    states = sequence;
    polls = 0;
    const theirs = await official('black-forest-labs/flux-kontext-pro', text).then(
      (p) => (p.status === 'succeeded' ? 'succeeded' : 'failed') as Outcome,
      () => 'failed' as Outcome,
    );
    polls = 0;
    expect(theirs).toBe(theirsOutcome);
    expect(await ours('black-forest-labs/flux-kontext-pro').then(outcomeOf, outcomeOf)).toBe(oursOutcome);
  });
});
