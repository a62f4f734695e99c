import type { PublicBatch } from '../core/schemas/public.js';
import { isImageGenApiError } from './errors.js';
import { parseEventStream } from './sse.js';
import { checkAnswer, toApiError, type Transport } from './transport.js';
import { progressEventWire, publicBatchWire, publicTaskWire } from './wire-schemas.js';

/** Options of `waitForBatch`. */
export interface WaitForBatchOptions {
  /** Called with the batch after every poll. */
  onProgress?: (batch: PublicBatch) => void;
  signal?: AbortSignal;
  /** Time between polls in ms. @default 2500 */
  interval?: number;
}

/** Options of `watchBatch`. */
export interface WatchBatchOptions {
  signal?: AbortSignal;
  /** Poll interval in ms once it falls back to polling. @default 2500 */
  interval?: number;
  /** Skip the event stream and poll. @default false */
  polling?: boolean;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Polls the batch status until every task has ended. */
export async function waitForBatch(
  status: (batchId: string, signal?: AbortSignal) => Promise<PublicBatch>,
  batchId: string,
  options: WaitForBatchOptions = {},
): Promise<PublicBatch> {
  for (;;) {
    const batch = await status(batchId, options.signal);
    options.onProgress?.(batch);
    if (batch.status === 'completed') return batch;
    await sleep(options.interval ?? 2500, options.signal);
  }
}

function countEnded(batch: PublicBatch): void {
  batch.completedTasks = batch.tasks.filter((t) => t.status === 'completed').length;
  batch.failedTasks = batch.tasks.filter((t) => t.status === 'failed').length;
  batch.cancelledTasks = batch.tasks.filter((t) => t.status === 'cancelled').length;
}

/**
 * Yields the batch each time it changes, from the event stream (`GET /batch/events`), until it
 * completes. When the stream cannot be opened or breaks off, it goes on by polling the status.
 */
export async function* watchBatch(
  transport: Transport,
  status: (batchId: string, signal?: AbortSignal) => Promise<PublicBatch>,
  batchId: string,
  options: WatchBatchOptions = {},
): AsyncGenerator<PublicBatch, PublicBatch> {
  let batch: PublicBatch | null = null;
  if (!options.polling) {
    try {
      const response = await transport.ky(transport.url(`/batch/events?batch_id=${encodeURIComponent(batchId)}`), {
        headers: { Accept: 'text/event-stream' },
        timeout: false,
        retry: 0,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (!response.body || !(response.headers.get('content-type') ?? '').startsWith('text/event-stream'))
        throw new Error('not an event stream');
      for await (const event of parseEventStream(response.body)) {
        const data: unknown = JSON.parse(event.data);
        if (event.event === 'snapshot' || event.event === 'completed') {
          batch = checkAnswer(publicBatchWire, data);
        } else if (batch && event.event === 'progress') {
          const progress = checkAnswer(progressEventWire, data);
          const task = batch.tasks[progress.index];
          if (!task) continue;
          batch.tasks[progress.index] = {
            ...task,
            status: progress.status,
            progress: Math.max(progress.progress, task.status === progress.status ? task.progress : 0),
          };
          if (batch.status === 'pending') batch.status = 'processing';
          countEnded(batch);
        } else if (batch && event.event === 'task') {
          const task = checkAnswer(publicTaskWire, data);
          const index = batch.tasks.findIndex((t) => t.taskId === task.taskId);
          if (index >= 0) batch.tasks[index] = task;
          countEnded(batch);
        } else {
          continue;
        }
        yield structuredClone(batch);
        if (batch.status === 'completed') return batch;
      }
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      const apiError = await toApiError(error);
      // A 4xx is a real answer (not signed in, not yours): polling would get the same.
      if (isImageGenApiError(apiError) && apiError.status >= 400 && apiError.status < 500 && apiError.status !== 408) throw apiError;
    }
  }
  // Polling: the stream was off, failed or ended early.
  let last = batch ? JSON.stringify(batch) : '';
  for (;;) {
    const next = await status(batchId, options.signal);
    const text = JSON.stringify(next);
    if (text !== last) {
      last = text;
      yield next;
    }
    if (next.status === 'completed') return next;
    await sleep(options.interval ?? 2500, options.signal);
  }
}
