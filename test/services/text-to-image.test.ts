import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ProviderError, ValidationError } from '../../src/core/errors/index.js';
import { b64, makeImage } from '../image-input/fixtures.js';
import { ledgerLines, testEngine } from './helpers.js';

describe('text-to-image', () => {
  it('charges 1 and records type text_to_image with the image in the store', async () => {
    const { engine, imageStore } = await testEngine();
    const { record, creditsRemaining } = await engine.textToImage.run('alice', {
      prompt: 'a red fox',
      aspect_ratio: '9:16',
      seed: 7,
      output_format: 'jpeg',
    });
    expect(creditsRemaining).toBe(9);
    expect(record).toMatchObject({ type: 'text_to_image', prompt: 'a red fox', aspectRatio: '9:16', seed: 7, imagePromptStrength: null });
    const stored = await imageStore.get(imageStore.keyFromUrl(record.imageUrl)!);
    const meta = await sharp(stored!.bytes).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 40, height: 64 });
    expect(await ledgerLines(engine)).toEqual(['grant 10', 'charge -1']);
  });

  it('refunds 1 exactly once when the provider fails', async () => {
    const { engine } = await testEngine({
      provider: { failWhen: () => ({ reason: 'moderated_input', message: 'prompt flagged by provider' }) },
    });
    await expect(engine.textToImage.run('alice', { prompt: 'x' })).rejects.toBeInstanceOf(ProviderError);
    expect(await ledgerLines(engine)).toEqual(['grant 10', 'charge -1', 'refund 1']);
  });

  it('refuses bad input before charging', async () => {
    const { engine, provider } = await testEngine();
    for (const body of [{}, { prompt: '' }, { prompt: 'x', seed: -1 }, { prompt: 'x', aspect_ratio: '1:2' }, 'prompt']) {
      await expect(engine.textToImage.run('alice', body)).rejects.toBeInstanceOf(ValidationError);
    }
    expect(provider.calls.submit).toBe(0);
    expect(await ledgerLines(engine)).toEqual(['grant 10']);
  });

  it('honours configured prices, including free generations', async () => {
    const { engine } = await testEngine({ prices: { textToImage: 0, imageToImage: 3 } });
    expect((await engine.textToImage.run('alice', { prompt: 'x' })).creditsRemaining).toBe(10);
    const png = await makeImage('png');
    expect(
      (await engine.imageToImage.run('alice', { prompt: 'x', input_image: `data:image/png;base64,${b64(png)}` })).creditsRemaining,
    ).toBe(7);
  });
});

describe('records', () => {
  it('lists a user’s records newest first, paged, both kinds together; another user sees none of them', async () => {
    let clock = 1_700_000_000_000;
    const { engine } = await testEngine({ credits: 20, now: () => clock++ });
    const png = await makeImage('png');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const run =
        i % 2 === 0
          ? engine.textToImage.run('alice', { prompt: `t${i}` })
          : engine.imageToImage.run('alice', { prompt: `i${i}`, input_image: `data:image/png;base64,${b64(png)}` });
      ids.push((await run).record.recordId);
    }
    const first = await engine.records.list('alice', { limit: 2 });
    expect(first.items.map((r) => r.recordId)).toEqual([ids[4], ids[3]]);
    const second = await engine.records.list('alice', { limit: 2, cursor: first.nextCursor });
    expect(second.items.map((r) => r.recordId)).toEqual([ids[2], ids[1]]);
    const third = await engine.records.list('alice', { limit: 2, cursor: second.nextCursor });
    expect(third.items.map((r) => r.recordId)).toEqual([ids[0]]);
    expect(third.nextCursor).toBeNull();
    expect(new Set([...first.items, ...second.items].map((r) => r.type))).toEqual(new Set(['text_to_image', 'image_to_image']));

    expect((await engine.records.list('bob')).items).toEqual([]);
    await expect(engine.records.get('bob', ids[0]!)).rejects.toMatchObject({ status: 404 });
    await expect(engine.records.get('alice', 'record:alice:1')).rejects.toMatchObject({ status: 404 });
  });

  it('gives two generations in the same millisecond distinct ids', async () => {
    const { engine } = await testEngine({ now: () => 1_700_000_000_000 });
    const [a, b] = await Promise.all([engine.textToImage.run('alice', { prompt: 'a' }), engine.textToImage.run('alice', { prompt: 'b' })]);
    expect(a.record.recordId).not.toBe(b.record.recordId);
    expect((await engine.records.list('alice')).items).toHaveLength(2);
  });
});
