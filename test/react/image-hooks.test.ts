// @vitest-environment happy-dom
import { act, cleanup, renderHook, waitFor } from '@testing-library/react';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { useCredits, useImageToImage, useRecords } from '../../src/react/index.js';
import { createHookHarness, type HookHarness } from './harness.js';

let h: HookHarness;
afterEach(async () => {
  cleanup();
  await h?.app.close();
});

/** A small real PNG. */
async function png(): Promise<Blob> {
  const bytes = await sharp({ create: { width: 48, height: 32, channels: 3, background: '#3366cc' } })
    .png()
    .toBuffer();
  return new Blob([new Uint8Array(bytes)], { type: 'image/png' });
}

describe('useImageToImage + useCredits + useRecords', () => {
  it('uploads then transforms with stage and progress, shows the result, the charge and the new record', async () => {
    h = await createHookHarness({ provider: { latencyMs: 30 } });
    await h.app.grant('alice', 10);
    const { result } = renderHook(() => ({ i2i: useImageToImage(), credits: useCredits(), records: useRecords() }), { wrapper: h.wrapper });
    await waitFor(() => expect(result.current.credits.balance).toBe(10));
    await waitFor(() => expect(result.current.records.isLoading).toBe(false));
    expect(result.current.records.records).toEqual([]);
    expect(result.current.i2i).toMatchObject({ stage: 'idle', progress: 0, upload: null, result: null });

    const stages: string[] = [];
    const file = new File([await png()], 'photo.png', { type: 'image/png' });
    let running!: Promise<unknown>;
    act(() => {
      running = result.current.i2i.run(file, { prompt: 'as a watercolor' });
    });
    await waitFor(
      () => {
        stages.push(`${result.current.i2i.stage}:${result.current.i2i.progress}`);
        expect(result.current.i2i.stage).toBe('done');
      },
      { interval: 2 },
    );
    await act(async () => {
      await running;
    });
    expect(stages).toContain('transforming:50');
    const { i2i } = result.current;
    expect(i2i.progress).toBe(100);
    expect(i2i.upload).toMatchObject({ type: 'image/png' });
    expect(i2i.upload!.data_url).toMatch(/^data:image\/png;base64,/);
    expect(i2i.result!.image_url).toMatch(/^\/api\/images\/[^?]+\?exp=\d+&sig=/);
    expect(i2i.result!.credits_remaining).toBe(8);
    expect(result.current.credits.balance).toBe(8);
    await waitFor(() => expect(result.current.records.records).toHaveLength(1));
    expect(result.current.records.records[0]).toMatchObject({ type: 'image_to_image', prompt: 'as a watercolor' });
    expect(h.sent.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(['POST /api/upload-image', 'POST /api/image-to-image']),
    );
  });

  it('uploads on pick and transforms on submit, the two steps apart', async () => {
    h = await createHookHarness();
    await h.app.grant('alice', 10);
    const { result } = renderHook(() => useImageToImage(), { wrapper: h.wrapper });
    await act(async () => {
      await result.current.uploadFile(await png(), { filename: 'pick.png' });
    });
    expect(result.current).toMatchObject({ stage: 'uploaded', progress: 50 });
    await act(async () => {
      await result.current.transform({ prompt: 'in ink', image_prompt_strength: 0.7 });
    });
    expect(result.current).toMatchObject({ stage: 'done', progress: 100 });
    expect(await h.app.engine.credits.balance('alice')).toBe(8);
  });

  it('refuses a file that is not an image, charging nothing, and explains a transform without an upload', async () => {
    h = await createHookHarness();
    await h.app.grant('alice', 10);
    const { result } = renderHook(() => useImageToImage(), { wrapper: h.wrapper });
    await act(async () => {
      expect(await result.current.run(new Blob(['not an image'], { type: 'image/png' }), { prompt: 'x' })).toBeUndefined();
    });
    expect(result.current.stage).toBe('error');
    expect(result.current.error).toMatchObject({ status: 415, code: 'unsupported_media_type' });
    expect(h.sent.map((r) => r.path)).not.toContain('/api/image-to-image');
    await act(async () => {
      await result.current.transform({ prompt: 'x' });
    });
    expect(String(result.current.error)).toMatch(/upload an image first/);
    expect(await h.app.engine.credits.balance('alice')).toBe(10);
  });

  it('reads credits again after a failed transform (charged, then refunded)', async () => {
    h = await createHookHarness({
      provider: { failWhen: (input) => (input.prompt.includes('cursed') ? { reason: 'provider_error', message: 'refused' } : null) },
    });
    await h.app.grant('alice', 10);
    const { result } = renderHook(() => ({ i2i: useImageToImage(), credits: useCredits() }), { wrapper: h.wrapper });
    await waitFor(() => expect(result.current.credits.balance).toBe(10));
    const reads = () => h.sent.filter((r) => r.path === '/api/credits').length;
    const before = reads();
    await act(async () => {
      await result.current.i2i.run(await png(), { prompt: 'a cursed frame' });
    });
    expect(result.current.i2i.error).toMatchObject({ code: expect.any(String) });
    await waitFor(() => expect(reads()).toBe(before + 1));
    await waitFor(() => expect(result.current.credits.data?.entries.map((e) => e.kind)).toContain('refund'));
    expect(result.current.credits.balance).toBe(10);
  });

  it('pages records with loadMore until there are no more, and refresh starts again from the first page', async () => {
    h = await createHookHarness();
    await h.app.grant('alice', 10);
    for (const prompt of ['one', 'two', 'three']) await h.client.generate({ prompt });
    const { result } = renderHook(() => useRecords({ limit: 2 }), { wrapper: h.wrapper });
    await waitFor(() => expect(result.current.records).toHaveLength(2));
    expect(result.current.records.map((r) => r.prompt)).toEqual(['three', 'two']);
    expect(result.current.hasMore).toBe(true);
    act(() => result.current.loadMore());
    act(() => result.current.loadMore()); // a second call while one is in flight reads nothing more
    await waitFor(() => expect(result.current.records).toHaveLength(3));
    expect(result.current.records.map((r) => r.prompt)).toEqual(['three', 'two', 'one']);
    expect(result.current.hasMore).toBe(false);
    expect(h.sent.filter((r) => r.path === '/api/records')).toHaveLength(2);
    act(() => result.current.loadMore());
    expect(h.sent.filter((r) => r.path === '/api/records')).toHaveLength(2);
    act(() => result.current.refresh());
    await waitFor(() => expect(result.current.records).toHaveLength(2));
    expect(result.current.hasMore).toBe(true);
  });

  it('shows a 401 as the error of useCredits and useRecords', async () => {
    h = await createHookHarness();
    // A session that has ended: every call answers 401.
    h.intercept(() => Response.json({ error: 'Sign in first', code: 'unauthorized' }, { status: 401 }));
    const { result } = renderHook(() => ({ credits: useCredits(), records: useRecords() }), { wrapper: h.wrapper });
    await waitFor(() => expect(result.current.credits.error).toMatchObject({ status: 401, code: 'unauthorized' }));
    await waitFor(() => expect(result.current.records.error).toMatchObject({ status: 401 }));
    expect(result.current.credits).toMatchObject({ balance: null, isLoading: false });
  });
});
