import { useCallback, useEffect, useState } from 'react';
import type { BatchCancelResponse } from '../core/schemas/cancel.js';
import type { PublicBatch } from '../core/schemas/public.js';
import type { RetryResponse } from '../core/schemas/wire.js';
import { type ClientHookOptions, useImageGenClient } from './context.js';
import { announce } from './refresh-bus.js';

/** Options of {@link useBatch}. */
export interface UseBatchOptions extends ClientHookOptions {
  /** Poll interval in ms once the event stream is unavailable. @default 2500 */
  interval?: number;
  /** Poll the status instead of opening the event stream. @default false */
  polling?: boolean;
}

/** What {@link useBatch} returns. */
export interface BatchState {
  /** The batch as of its latest change; `null` before the first answer (and on the server). */
  batch: PublicBatch | null;
  /** Why watching, retrying or cancelling failed (an `ImageGenApiError`: 404 when it is not yours). */
  error: unknown;
  /** A batch id is set and its first answer has not come yet. */
  isLoading: boolean;
  /** Every task has ended: watching has stopped. */
  isDone: boolean;
  /** `POST /batch/retry` of a failed task (1 credit), then watches again. `undefined` when it failed. */
  retry(taskIndex: number): Promise<RetryResponse | undefined>;
  /** `POST /batch/cancel` of the batch, or of one task. `undefined` when it failed. */
  cancel(taskIndex?: number): Promise<BatchCancelResponse | undefined>;
}

const ended = (batch: PublicBatch | null) => (batch ? batch.failedTasks + batch.cancelledTasks : 0);

/**
 * Watches a batch live: over the event stream (`GET /batch/events`), falling back to polling the
 * status when the stream cannot be opened or breaks off. It stops when the batch completes, when
 * `batchId` changes and on unmount. A task that fails or is cancelled was refunded: every
 * `useCredits` on the same client reads the balance again.
 *
 * @param batchId the batch to watch; `null` or `undefined` watches nothing
 */
export function useBatch(batchId: string | null | undefined, options: UseBatchOptions = {}): BatchState {
  const client = useImageGenClient(options);
  const { interval, polling } = options;
  // `of`: the id the state belongs to, so nothing of an earlier id shows for a new one.
  const [state, setState] = useState<{ of: string | null; batch: PublicBatch | null; error: unknown }>({
    of: null,
    batch: null,
    error: null,
  });
  const fail = useCallback((of: string, error: unknown) => setState((s) => ({ of, batch: s.of === of ? s.batch : null, error })), []);
  // Bumped by a retry: the watch had stopped at completion and must start again.
  const [round, setRound] = useState(0);

  useEffect(() => {
    if (!batchId) return;
    const controller = new AbortController();
    // `round` restarts the watch after a retry; reading it here keeps it a real dependency.
    void round;
    let previous: PublicBatch | null = null;
    const watch = async () => {
      try {
        const updates = client.watchBatch(batchId, {
          signal: controller.signal,
          ...(interval === undefined ? {} : { interval }),
          ...(polling === undefined ? {} : { polling }),
        });
        for await (const batch of updates) {
          if (controller.signal.aborted) return;
          if (ended(batch) > ended(previous)) announce(client, 'credits');
          previous = batch;
          setState({ of: batchId, batch, error: null });
        }
      } catch (error) {
        if (!controller.signal.aborted) fail(batchId, error);
      }
    };
    void watch();
    return () => controller.abort();
  }, [client, batchId, interval, polling, round, fail]);

  const retry = useCallback(
    async (taskIndex: number) => {
      if (!batchId) return undefined;
      try {
        const answer = await client.retryTask(batchId, taskIndex);
        announce(client, 'credits', { balance: answer.credits_remaining });
        setRound((r) => r + 1);
        return answer;
      } catch (error) {
        fail(batchId, error);
        return undefined;
      }
    },
    [client, batchId, fail],
  );

  const cancel = useCallback(
    async (taskIndex?: number) => {
      if (!batchId) return undefined;
      try {
        const answer = await client.cancelBatch(batchId, taskIndex === undefined ? {} : { taskIndex });
        announce(client, 'credits');
        return answer;
      } catch (error) {
        fail(batchId, error);
        return undefined;
      }
    },
    [client, batchId, fail],
  );

  const mine = Boolean(batchId) && state.of === batchId;
  const batch = mine ? state.batch : null;
  const error = mine ? state.error : null;
  return {
    batch,
    error,
    isLoading: Boolean(batchId) && !batch && !error,
    isDone: batch?.status === 'completed',
    retry,
    cancel,
  };
}
