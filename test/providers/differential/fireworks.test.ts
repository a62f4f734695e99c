import { createFireworks } from '@ai-sdk/fireworks';
import { generateImage } from 'ai';
import { describe, expect, it } from 'vitest';
import { createFireworksProvider } from '../../../src/adapters/providers/fireworks/index.js';
import { EDIT_INPUT, PNG, TEXT_INPUT, generate } from '../harness.js';
import { type Answer, comparable, outcomeOf, type Outcome, useCaptureServer } from './capture-server.js';

const MODELS = '/inference/v1/workflows/accounts/fireworks/models';
let poll: (n: number, origin: string) => unknown = () => ({});
let polls = 0;
const ready = (origin: string) => ({ id: 'r1', status: 'Ready', result: { sample: `${origin}/results/out.png` } });
const server = useCaptureServer((request, origin): Answer => {
  if (request.path.endsWith('/text_to_image')) return { bytes: PNG, headers: { 'content-type': 'image/png' } };
  if (request.path.endsWith('/get_result')) return { json: poll(polls++, origin) };
  if (request.method === 'POST') return { json: { request_id: 'r1' } };
  return { bytes: PNG, headers: { 'content-type': 'image/png' } };
});

function official(model: string, edit = false) {
  const fireworks = createFireworks({ apiKey: 'test-key', baseURL: `${server.origin}/inference/v1` });
  return generateImage({
    model: fireworks.image(`accounts/fireworks/models/${model}`),
    prompt: edit ? { text: 'a red fox', images: [PNG] } : 'a red fox',
    aspectRatio: '16:9',
    seed: 7,
    providerOptions: model.includes('kontext') ? { fireworks: { output_format: 'png', safety_tolerance: 2 } } : {},
  });
}

const ours = (model: string, edit = false) =>
  generate(createFireworksProvider({ apiKeys: 'test-key', baseUrl: `${server.origin}${MODELS}`, model }), edit ? EDIT_INPUT : TEXT_INPUT);

/** The client sends `samples` (its `n`) to every model; Fireworks documents no such field for these workflows. */
const withoutSamples = (seen: ReturnType<typeof comparable>) => {
  const { samples: _samples, ...shape } = seen.shape;
  return { ...seen, shape };
};

describe('fireworks adapter against @ai-sdk/fireworks', () => {
  it.each([
    ['flux-kontext-pro', false],
    ['flux-kontext-pro', true],
    ['flux-kontext-max', false],
    ['flux-1-schnell-fp8', false],
    ['flux-1-dev-fp8', false],
  ] as const)('%s (edit: %s): same method, path, auth, content type and body fields', async (model, edit) => {
    poll = (_n, origin) => ready(origin);
    server.reset();
    const theirs = await official(model, edit);
    const seenTheirs = server.requests.map(comparable);
    server.reset();
    const mine = await ours(model, edit);
    const seenMine = server.requests.map(comparable);
    // The client sends the key to a result URL on the API's origin (as here); the adapter never
    // sends it off the API's own requests. Real results are on another host, where neither does.
    const api = (list: typeof seenMine) => list.filter((r) => !r.path.startsWith('/results/')).map(withoutSamples);
    expect(api(seenMine)).toEqual(api(seenTheirs));
    expect(seenMine.filter((r) => r.path.startsWith('/results/')).map((r) => r.auth)).toEqual(model.includes('kontext') ? [null] : []);
    expect(seenMine[0]!.path).toBe(`${MODELS}/${model}${model.includes('kontext') ? '' : '/text_to_image'}`);
    if (edit) expect(server.requests[0]!.body.input_image).toMatch(/^data:image\/png;base64,/);
    expect(theirs.images[0]!.uint8Array).toEqual(PNG);
    expect(mine.image.bytes).toEqual(PNG);
  });

  // The client ends on Ready, Error and Failed and polls on anything else.
  const words: Array<[string, Outcome, Outcome]> = [
    ['Pending', 'succeeded', 'succeeded'],
    ['Ready', 'succeeded', 'succeeded'],
    ['Error', 'failed', 'failed'],
    ['Failed', 'failed', 'failed'],
  ];
  it.each(words)('%s: the same outcome as the client', async (word, theirsOutcome, oursOutcome) => {
    poll = (n, origin) => (word === 'Ready' || (word === 'Pending' && n > 0) ? ready(origin) : { id: 'r1', status: word, result: null });
    polls = 0;
    const theirs = await official('flux-kontext-pro').then(
      () => 'succeeded' as Outcome,
      () => 'failed' as Outcome,
    );
    polls = 0;
    expect(theirs).toBe(theirsOutcome);
    expect(await ours('flux-kontext-pro').then(outcomeOf, outcomeOf)).toBe(oursOutcome);
  });
});
