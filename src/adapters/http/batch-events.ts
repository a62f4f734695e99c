import { NotFoundError } from '../../core/errors/not-found-error.js';
import type { BatchRecord, TaskStatus } from '../../core/schemas/records.js';
import type { PublicRecords } from './public-records.js';
import { batchEventHub, type BatchSubscriber } from './batch-event-hub.js';
import type { HttpEngine } from './options.js';

const encoder = new TextEncoder();

/** Progress of one task as the stream sends it. */
export interface ProgressEventData {
  batchId: string;
  taskId: string;
  index: number;
  status: TaskStatus;
  progress: number;
}

/**
 * `GET /api/batch/events`: Server-Sent Events for one batch the user owns.
 *
 * Events: `snapshot` (the batch record, first and whenever storage shows a change the process did
 * not announce), `progress` (one per change of a task's status or progress), `task` (the task
 * record once it ended, with its result or error), `completed` (the final batch record; the
 * stream then ends). Records in them are public ones made as each event is sent (see `PublicRecords`: loadable image URLs, the provider's own request ids, no lease or provider reference). Ownership is checked before the stream opens, so another user's batch is a
 * plain 404.
 */
export async function batchEventsResponse(
  engine: HttpEngine,
  username: string,
  batchId: string,
  options: {
    publicRecords: PublicRecords;
    /** The public batch as JSON text (the handler's cache: the same text `GET /batch/status` sends). */
    batchText: (batch: BatchRecord) => Promise<string>;
    recheckMs: number;
    signal: AbortSignal;
    headers: Record<string, string>;
    /** Told once when the stream ends (or does not open). */
    onClose?: () => void;
  },
): Promise<Response> {
  try {
    await engine.batches.status(username, batchId);
  } catch (error) {
    options.onClose?.();
    throw error;
  }
  let cleanup = () => {};

  const hub = batchEventHub(engine, options.recheckMs);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false;
      let lastUpdatedAt = -1;
      const last: Array<{ status: TaskStatus; progress: number } | undefined> = [];
      let queue: Promise<void> = Promise.resolve();

      const sendText = (event: string, text: string) => {
        if (closed) return;
        controller.enqueue(encoder.encode(`event: ${event}\ndata: ${text}\n\n`));
      };
      const send = (event: string, data: unknown) => sendText(event, JSON.stringify(data));
      const close = () => {
        if (closed) return;
        closed = true;
        cleanup();
        try {
          controller.close();
        } catch {
          // already cancelled by the client
        }
      };
      const serially = (step: () => Promise<void>) => {
        queue = queue.then(step).catch(() => close());
      };
      const remember = (batch: BatchRecord) => {
        lastUpdatedAt = batch.updatedAt;
        for (const [index, task] of batch.tasks.entries()) last[index] = { status: task.status, progress: task.progress };
      };
      const sendSnapshot = async (batch: BatchRecord) => sendText('snapshot', await options.batchText(batch));
      const sendBatch = async (batch: BatchRecord) => {
        remember(batch);
        if (batch.status === 'completed') {
          sendText('completed', await options.batchText(batch));
          close();
        }
      };
      const owned = (batch: BatchRecord | null): BatchRecord => {
        if (!batch || batch.username !== username) throw new NotFoundError('Batch', batchId);
        return batch;
      };

      const subscriber: BatchSubscriber = {
        progress(event) {
          const before = last[event.index];
          if (before && before.status === event.status && before.progress >= event.progress) return;
          last[event.index] = { status: event.status, progress: event.progress };
          const data: ProgressEventData = {
            batchId,
            taskId: event.taskId,
            index: event.index,
            status: event.status,
            progress: event.progress,
          };
          serially(async () => send('progress', data));
        },
        ended(event) {
          serially(async () => {
            const task = await engine.storage.getTask(batchId, event.index);
            if (!task) return;
            const before = last[event.index];
            // Stored progress may lag the announced one (writes are throttled); never show it going down.
            const progress = Math.max(before?.progress ?? 0, task.progress);
            if (!before || before.status !== task.status || before.progress !== progress) {
              send('progress', { batchId, taskId: task.taskId, index: event.index, status: task.status, progress });
            }
            last[event.index] = { status: task.status, progress };
            send('task', await options.publicRecords.task(task));
          });
        },
        batchCompleted() {
          serially(async () => sendBatch(await engine.batches.status(username, batchId)));
        },
        // Progress made by other processes reaches this one only through storage.
        recheck(read) {
          serially(async () => {
            const batch = owned(await read);
            if (batch.updatedAt === lastUpdatedAt && batch.status !== 'completed') return;
            await sendSnapshot(batch);
            await sendBatch(batch);
          });
        },
        heartbeat() {
          if (!closed) controller.enqueue(encoder.encode(': keep-alive\n\n'));
        },
      };
      const onAbort = () => close();
      let unsubscribe = () => {};

      cleanup = () => {
        closed = true;
        options.onClose?.();
        unsubscribe();
        options.signal.removeEventListener('abort', onAbort);
      };
      // Listen first, then read: nothing that happens in between is lost.
      unsubscribe = hub.subscribe(batchId, subscriber);
      options.signal.addEventListener('abort', onAbort, { once: true });

      controller.enqueue(encoder.encode('retry: 3000\n\n'));
      serially(async () => {
        const batch = await engine.batches.status(username, batchId);
        await sendSnapshot(batch);
        await sendBatch(batch);
      });
    },
    cancel() {
      cleanup();
    },
  });

  return new Response(stream, {
    status: 200,
    headers: {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      'X-Content-Type-Options': 'nosniff',
      ...options.headers,
    },
  });
}
