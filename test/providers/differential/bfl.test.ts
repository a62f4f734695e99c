import { createBlackForestLabs } from '@ai-sdk/black-forest-labs';
import { generateImage } from 'ai';
import { describe, expect, it } from 'vitest';
import { createBflProvider } from '../../../src/adapters/providers/bfl/index.js';
import { BFL_MODELS } from '../../../src/adapters/providers/bfl/models.js';
import { familyOf, gridSize } from '../../../src/adapters/providers/provider-kit/model-capabilities.js';
import { EDIT_INPUT, PNG, TEXT_INPUT, generate } from '../harness.js';
import { type Answer, comparable, outcomeOf, type Outcome, useCaptureServer } from './capture-server.js';

const B64 = Buffer.from(PNG).toString('base64');
let poll: (n: number) => unknown = () => ({ status: 'Ready', result: { sample: '' } });
let polls = 0;
const server = useCaptureServer((request, origin): Answer => {
  if (request.method === 'POST') return { json: { id: 't1', polling_url: `${origin}/v1/get_result?id=t1` } };
  if (request.path === '/v1/get_result') {
    const body = poll(polls++) as { result?: { sample?: string } };
    if (body && typeof body === 'object' && body.result?.sample === '') body.result.sample = `${origin}/results/sample.png`;
    return { json: body };
  }
  return { bytes: PNG, headers: { 'content-type': 'image/png' } };
});
const ready = () => ({ status: 'Ready', result: { sample: '' } });

function official(model: string, options: { edit?: boolean; size?: { width: number; height: number }; pollTimeoutMillis?: number } = {}) {
  const bfl = createBlackForestLabs({ apiKey: 'test-key', baseURL: `${server.origin}/v1` });
  const family = familyOf(BFL_MODELS, model);
  const imagePrompt = options.edit && family.inputImage?.field === 'image_prompt';
  return generateImage({
    model: bfl.image(model),
    prompt: options.edit && !imagePrompt ? { text: 'a red fox', images: [PNG] } : 'a red fox',
    ...(options.size ? {} : { aspectRatio: '16:9' as const }),
    seed: 7,
    providerOptions: {
      blackForestLabs: {
        outputFormat: 'png',
        safetyTolerance: 2,
        ...options.size,
        ...(imagePrompt ? { imagePrompt: B64 } : {}),
        ...(imagePrompt && family.strength ? { imagePromptStrength: 0.7 } : {}),
        pollIntervalMillis: 1,
        pollTimeoutMillis: options.pollTimeoutMillis ?? 5000,
      },
    },
  });
}

function ours(model: string, edit = false) {
  return generate(
    createBflProvider({ apiKeys: 'test-key', region: server.origin, model, editModel: model }),
    edit ? EDIT_INPUT : TEXT_INPUT,
  );
}

async function both(model: string, edit: boolean) {
  const family = familyOf(BFL_MODELS, model);
  const size = family.size.kind === 'grid' ? gridSize('16:9', family.size.grid) : undefined;
  poll = () => ready();
  server.reset();
  const theirs = await official(model, { edit, ...(size ? { size } : {}) });
  const seenTheirs = server.requests.map(comparable);
  server.reset();
  const mine = await ours(model, edit);
  return { theirs, mine, seenTheirs, seenMine: server.requests.map(comparable) };
}

const families = [
  ['flux-kontext-pro', true],
  ['flux-pro-1.1-ultra', true],
  ['flux-2-pro', true],
  ['flux-pro-1.1', true],
  ['flux-dev', false],
] as const;

describe('bfl adapter against @ai-sdk/black-forest-labs', () => {
  it.each(families.flatMap(([model, edits]) => [[model, false] as const, ...(edits ? [[model, true] as const] : [])]))(
    '%s (edit: %s): same method, path, auth, content type and body fields for submit, poll and download',
    async (model, edit) => {
      const { theirs, mine, seenTheirs, seenMine } = await both(model, edit);
      // Submit and poll match field for field; the result download differs on purpose: the client
      // sends x-key to the result URL, the adapter never sends a key off the API's own requests.
      expect(seenMine.slice(0, 2)).toEqual(seenTheirs.slice(0, 2));
      expect(seenMine[2]).toEqual({ ...seenTheirs[2], auth: null });
      expect(seenMine[0]!.path).toBe(`/v1/${model}`);
      expect(theirs.images[0]!.uint8Array).toEqual(PNG);
      expect(mine.image.bytes).toEqual(PNG);
    },
  );

  // Every status word of the client's bflStatus, with the outcome the client reaches.
  const words: Array<[string, unknown, Outcome, Outcome]> = [
    ['Pending, then Ready', 'Pending', 'succeeded', 'succeeded'],
    ['Ready', 'Ready', 'succeeded', 'succeeded'],
    ['Error', 'Error', 'failed', 'failed'],
    ['Failed', 'Failed', 'failed', 'failed'],
    // The client keeps polling on Request Moderated (it only ends on Ready, Error, Failed); BFL's
    // docs make it final, and so does the adapter: a refusal instead of a timeout.
    ['Request Moderated', 'Request Moderated', 'running', 'moderated'],
  ];
  it.each(words)('%s: the same outcome as the client', async (_label, word, theirsOutcome, oursOutcome) => {
    poll = (n) => (word === 'Pending' && n > 0 ? ready() : word === 'Ready' ? ready() : { status: word });
    polls = 0;
    const theirs = await official('flux-kontext-pro', { pollTimeoutMillis: 60 }).then(
      () => 'succeeded' as Outcome,
      (e: Error) => (/timed out/.test(e.message) ? 'running' : 'failed') as Outcome,
    );
    polls = 0;
    const mine = await ours('flux-kontext-pro').then(outcomeOf, outcomeOf);
    expect(theirs).toBe(theirsOutcome);
    expect(mine).toBe(oursOutcome);
  });

  it('reads the state field the client also accepts in place of status', async () => {
    poll = () => ({ state: 'Ready', result: { sample: '' } });
    await expect(official('flux-kontext-pro')).resolves.toBeDefined();
    await expect(ours('flux-kontext-pro')).resolves.toMatchObject({ image: { bytes: PNG } });
  });
});
