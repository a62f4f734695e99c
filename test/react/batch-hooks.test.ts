// @vitest-environment happy-dom
import { act, cleanup, renderHook, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { useBatch, useCredits, useSubmitBatch } from '../../src/react/index.js';
import { createHookHarness, type HookHarness } from './harness.js';

let h: HookHarness;
afterEach(async () => {
  cleanup();
  await h?.app.close();
});

/** A batch submitted, watched and its credits shown, as a page would. */
const useStudio = (options: Parameters<typeof useBatch>[1] = {}) => {
  const submit = useSubmitBatch();
  const watched = useBatch(submit.batchId, options);
  const credits = useCredits({ limit: 1 });
  return { submit, watched, credits };
};

describe('useSubmitBatch + useBatch + useCredits', () => {
  it('submits a batch of 3, watches every task reach 100 over the event stream, and shows the charge', async () => {
    h = await createHookHarness({ provider: { latencyMs: 40, pollsBeforeReady: 3 } });
    await h.app.grant('alice', 20);
    // The progress of every task at each render: what a page would have shown.
    const progress: number[][] = [];
    const { result } = renderHook(
      () => {
        const studio = useStudio();
        if (studio.watched.batch) progress.push(studio.watched.batch.tasks.map((t) => t.progress));
        return studio;
      },
      { wrapper: h.wrapper },
    );
    await waitFor(() => expect(result.current.credits.balance).toBe(20));
    expect(result.current.watched.batch).toBeNull();
    expect(result.current.watched.isLoading).toBe(false);

    let created: Awaited<ReturnType<typeof result.current.submit.submit>>;
    await act(async () => {
      created = await result.current.submit.submit({ prompts: ['a cat', 'a dog', 'a bird'] });
    });
    expect(created!).toMatchObject({ total_tasks: 3, credits_deducted: 3, credits_remaining: 17 });
    expect(result.current.submit.status).toBe('success');
    expect(result.current.submit.batchId).toBe(created!.batch_id);
    // The charge's answer shows at once, before the refetch.
    expect(result.current.credits.balance).toBe(17);

    await waitFor(() => expect(result.current.watched.isDone).toBe(true), { timeout: 10_000 });
    const batch = result.current.watched.batch!;
    expect(batch.tasks.map((t) => [t.status, t.progress])).toEqual([
      ['completed', 100],
      ['completed', 100],
      ['completed', 100],
    ]);
    expect(batch.tasks.every((t) => t.result?.imageUrl.startsWith('/api/images/'))).toBe(true);
    for (let i = 0; i < 3; i++) {
      const seen = progress.map((p) => p[i]!);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
    }
    expect(progress.some((p) => p.some((v) => v > 0 && v < 100))).toBe(true);
    const paths = h.sent.map((r) => r.path);
    expect(paths).toContain('/api/batch/events');
    expect(paths).not.toContain('/api/batch/status');
    expect(result.current.credits.balance).toBe(17);
    expect(await h.app.engine.credits.balance('alice')).toBe(17);
  });

  it('falls back to polling the status when the event stream fails, and stops polling at completion', async () => {
    h = await createHookHarness({ provider: { latencyMs: 30 } });
    await h.app.grant('alice', 5);
    h.intercept((request) =>
      new URL(request.url).pathname === '/api/batch/events' ? new Response('bad gateway', { status: 502 }) : undefined,
    );
    const { result } = renderHook(() => useStudio({ interval: 20 }), { wrapper: h.wrapper });
    await act(async () => {
      await result.current.submit.submit({ prompt: 'a fox', count: 2 });
    });
    await waitFor(() => expect(result.current.watched.isDone).toBe(true), { timeout: 10_000 });
    expect(result.current.watched.batch!.completedTasks).toBe(2);
    const polls = () => h.sent.filter((r) => r.path === '/api/batch/status').length;
    expect(polls()).toBeGreaterThan(0);
    const atEnd = polls();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(polls()).toBe(atEnd);
  });

  it('stops watching on unmount: the stream request is aborted and nothing more is sent', async () => {
    h = await createHookHarness({ provider: { latencyMs: 2_000 } });
    await h.app.grant('alice', 5);
    const { batch_id } = await h.client.submitBatch({ prompts: ['slow'] });
    const { result, unmount } = renderHook(() => useBatch(batch_id), { wrapper: h.wrapper });
    await waitFor(() => expect(result.current.batch?.batchId).toBe(batch_id));
    expect(result.current.isDone).toBe(false);
    const stream = h.sent.find((r) => r.path === '/api/batch/events')!;
    expect(stream.signal.aborted).toBe(false);
    const before = h.sent.length;
    unmount();
    expect(stream.signal.aborted).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(h.sent.slice(before)).toEqual([]);
  });

  it('stops polling on unmount too', async () => {
    h = await createHookHarness({ provider: { latencyMs: 2_000 } });
    await h.app.grant('alice', 5);
    const { batch_id } = await h.client.submitBatch({ prompts: ['slow'] });
    const { unmount } = renderHook(() => useBatch(batch_id, { polling: true, interval: 10 }), { wrapper: h.wrapper });
    const polls = () => h.sent.filter((r) => r.path === '/api/batch/status').length;
    await waitFor(() => expect(polls()).toBeGreaterThan(2));
    unmount();
    const after = polls();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(polls()).toBe(after);
    expect(h.sent.filter((r) => r.path === '/api/batch/events')).toEqual([]);
  });

  it('shows the refund of a failed task in useCredits, and retry charges again and watches the new run', async () => {
    h = await createHookHarness({
      provider: {
        latencyMs: 20,
        failWhen: (input) => (input.prompt.includes('cursed') ? { reason: 'provider_error', message: 'refused' } : null),
      },
      engine: { refundFailedBatchTasks: true },
    });
    await h.app.grant('alice', 5);
    const { result } = renderHook(() => useStudio(), { wrapper: h.wrapper });
    await waitFor(() => expect(result.current.credits.balance).toBe(5));
    await act(async () => {
      await result.current.submit.submit({ prompts: ['a cursed mirror', 'a fine vase'] });
    });
    await waitFor(() => expect(result.current.watched.isDone).toBe(true), { timeout: 10_000 });
    expect(result.current.watched.batch!.tasks.map((t) => t.status)).toEqual(['failed', 'completed']);
    // 5 - 2 charged + 1 refunded, read again by itself after the failure.
    await waitFor(() => expect(result.current.credits.balance).toBe(4));

    await act(async () => {
      expect(await result.current.watched.retry(0)).toMatchObject({ credits_deducted: 1 });
    });
    await waitFor(() => expect(result.current.watched.batch!.tasks[0]!.attempts).toBe(2), { timeout: 10_000 });
    await waitFor(() => expect(result.current.watched.isDone).toBe(true), { timeout: 10_000 });
    expect(result.current.watched.batch!.tasks[0]!.status).toBe('failed');
    await waitFor(() => expect(result.current.credits.balance).toBe(4));
    expect(await h.app.engine.credits.balance('alice')).toBe(4);
  });

  it('cancels a batch: its waiting tasks end cancelled and the refund shows', async () => {
    h = await createHookHarness({ provider: { latencyMs: 5_000 }, engine: { concurrency: 1 } });
    await h.app.grant('alice', 5);
    const { result } = renderHook(() => useStudio(), { wrapper: h.wrapper });
    await act(async () => {
      await result.current.submit.submit({ prompt: 'a slow one', count: 3 });
    });
    await waitFor(() => expect(result.current.watched.batch).not.toBeNull());
    await act(async () => {
      expect(await result.current.watched.cancel()).toBeTruthy();
    });
    await waitFor(() => expect(result.current.watched.isDone).toBe(true), { timeout: 10_000 });
    expect(result.current.watched.batch!.cancelledTasks).toBe(3);
    await waitFor(async () => expect(result.current.credits.balance).toBe(await h.app.engine.credits.balance('alice')));
    expect(result.current.credits.balance).toBeGreaterThanOrEqual(4);
  });

  it("answers another user's batch with a 404 error, and an insufficient balance with the server's error, charging nothing", async () => {
    h = await createHookHarness();
    await h.app.grant('bob', 5);
    const { batch } = await h.app.engine.batches.submit('bob', { prompts: ['mine'] });
    const { result } = renderHook(() => ({ watched: useBatch(batch.batchId), submit: useSubmitBatch() }), { wrapper: h.wrapper });
    await waitFor(() => expect(result.current.watched.error).toMatchObject({ status: 404, code: 'not_found' }));
    expect(result.current.watched.batch).toBeNull();
    expect(result.current.watched.isLoading).toBe(false);

    await act(async () => {
      expect(await result.current.submit.submit({ prompt: 'x', count: 3 })).toBeUndefined();
    });
    expect(result.current.submit.status).toBe('error');
    expect(result.current.submit.error).toMatchObject({ status: 402, code: 'insufficient_credits' });
    await act(async () => {
      await result.current.submit.submit({ prompts: [] });
    });
    expect(result.current.submit.error).toMatchObject({ status: 400, details: { field: 'prompts' } });
    expect(await h.app.engine.credits.balance('alice')).toBe(0);
  });

  it('watches nothing for a null id and throws a clear error without a client', async () => {
    h = await createHookHarness();
    const { result } = renderHook(() => useBatch(null), { wrapper: h.wrapper });
    expect(result.current).toMatchObject({ batch: null, error: null, isLoading: false, isDone: false });
    expect(h.sent).toEqual([]);
    expect(() => renderHook(() => useBatch('b'))).toThrow(/ImageGenProvider/);
  });
});
