import OpenAI, { toFile } from 'openai';
import { describe, expect, it } from 'vitest';
import { createOpenAiProvider } from '../../../src/adapters/providers/openai/index.js';
import { EDIT_INPUT, PNG, TEXT_INPUT, generate } from '../harness.js';
import { type Answer, comparable, outcomeOf, useCaptureServer } from './capture-server.js';

const B64 = Buffer.from(PNG).toString('base64');
let answer: (origin: string) => Answer = () => ({ json: { created: 1, data: [{ b64_json: B64 }] } });
const server = useCaptureServer((request, origin) =>
  request.path.startsWith('/results/') ? { bytes: PNG, headers: { 'content-type': 'image/png' } } : answer(origin),
);
const client = () => new OpenAI({ apiKey: 'test-key', baseURL: `${server.origin}/v1`, maxRetries: 0 });
const ours = (model: string, input = TEXT_INPUT) =>
  generate(createOpenAiProvider({ apiKeys: 'test-key', baseUrl: `${server.origin}/v1`, model }), input);

/** What the client is given for the same input as the adapter's (16:9 → the model's landscape size). */
const cases = [
  ['gpt-image-1', { size: '1536x1024', output_format: 'png', quality: 'auto', moderation: 'auto' }, { input_fidelity: 'high' }],
  ['gpt-image-1-mini', { size: '1536x1024', output_format: 'png', quality: 'auto', moderation: 'auto' }, {}],
  ['dall-e-3', { size: '1792x1024' }, null],
  ['dall-e-2', { size: '1024x1024' }, {}],
] as const;

describe('openai adapter against the openai client', () => {
  it.each(cases)('%s: text-to-image and edits send the same method, path, auth, content type and fields', async (model, fields, edit) => {
    const square = model === 'dall-e-2';
    const gpt = model.startsWith('gpt-image');
    answer = (origin) => ({ json: { created: 1, data: [gpt ? { b64_json: B64 } : { url: `${origin}/results/img.png` }] } });
    server.reset();
    await client().images.generate({ model, prompt: 'a red fox', n: 1, ...fields } as OpenAI.ImageGenerateParams);
    const theirs = server.requests.map(comparable)[0];
    server.reset();
    const mine = await ours(model, square ? { ...TEXT_INPUT, aspectRatio: '1:1' } : TEXT_INPUT);
    expect(server.requests.map(comparable)[0]).toEqual(theirs);
    expect(mine.image.bytes).toEqual(PNG);
    if (!edit) return;
    server.reset();
    const { moderation: _m, ...editFields } = fields as Record<string, string>;
    const image = await toFile(PNG, 'input.png', { type: 'image/png' });
    await client().images.edit({
      model,
      prompt: 'a red fox',
      n: 1,
      ...editFields,
      ...edit,
      image: square ? image : [image],
    } as OpenAI.ImageEditParams);
    const theirsEdit = server.requests.map(comparable)[0];
    server.reset();
    await ours(model, square ? { ...EDIT_INPUT, aspectRatio: '1:1' } : EDIT_INPUT);
    expect(server.requests.map(comparable)[0]).toEqual(theirsEdit);
  });

  it('reads both result shapes the client types (b64_json and url) and refuses neither', async () => {
    answer = () => ({ json: { created: 1, data: [{ b64_json: B64 }] } });
    await expect(ours('gpt-image-1')).resolves.toMatchObject({ image: { bytes: PNG } });
    answer = (origin) => ({ json: { created: 1, data: [{ url: `${origin}/results/img.png` }] } });
    await expect(ours('dall-e-3')).resolves.toMatchObject({ image: { bytes: PNG } });
  });

  it('turns the moderation refusal the client raises as a 400 into a moderated outcome', async () => {
    answer = () => ({
      status: 400,
      json: {
        error: {
          code: 'moderation_blocked',
          message: 'Your request was rejected by the safety system.',
          type: 'image_generation_user_error',
        },
      },
    });
    await expect(client().images.generate({ model: 'gpt-image-1', prompt: 'x' })).rejects.toMatchObject({
      status: 400,
      code: 'moderation_blocked',
    });
    expect(await ours('gpt-image-1').then(outcomeOf, outcomeOf)).toBe('moderated');
  });
});
