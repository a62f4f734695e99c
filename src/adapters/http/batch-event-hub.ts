import type { BatchCompletedEvent, TaskCancelledEvent, TaskCompletedEvent, TaskFailedEvent, TaskProgressEvent } from '../../core/events.js';
import type { BatchRecord } from '../../core/schemas/records.js';
import type { HttpEngine } from './options.js';

/** An ended task's event, whichever way it ended. */
export type TaskEndedEvent = TaskCompletedEvent | TaskFailedEvent | TaskCancelledEvent;

/** One open stream, as the hub sees it: told only about its own batch. */
export interface BatchSubscriber {
  progress(event: TaskProgressEvent): void;
  ended(event: TaskEndedEvent): void;
  batchCompleted(event: BatchCompletedEvent): void;
  /** The shared re-check read the batch from storage (null: it is gone); called as the read starts. */
  recheck(read: Promise<BatchRecord | null>): void;
  heartbeat(): void;
}

/** Where the event streams of one engine (and one re-check interval) subscribe. */
export interface BatchEventHub {
  /** Starts telling `subscriber` about `batchId`; the answer unsubscribes (once). */
  subscribe(batchId: string, subscriber: BatchSubscriber): () => void;
  /** Open subscriptions. */
  readonly size: number;
}

const HEARTBEAT_MS = 15_000;
/** Storage reads of one re-check in flight at once: enough to keep a remote store busy, few enough not to flood it. */
const RECHECK_READS = 8;

type HubEngine = Pick<HttpEngine, 'events' | 'storage'>;
const hubs = new WeakMap<HubEngine['events'], Map<number, BatchEventHub>>();

/**
 * The hub of `engine`'s event bus for streams that re-check every `recheckMs`: one per process
 * (and interval), shared by every handler on that engine. It holds one listener per engine event
 * while any stream is open, finds a batch's streams by id (so an event costs the same with 5 or
 * 5,000 streams open on other batches), and runs one re-check timer (one storage read per watched
 * batch, whatever the number of its streams) and one heartbeat timer for all of them.
 */
export function batchEventHub(engine: HubEngine, recheckMs: number): BatchEventHub {
  let byInterval = hubs.get(engine.events);
  if (!byInterval) {
    byInterval = new Map();
    hubs.set(engine.events, byInterval);
  }
  let hub = byInterval.get(recheckMs);
  if (!hub) {
    hub = createHub(engine, recheckMs);
    byInterval.set(recheckMs, hub);
  }
  return hub;
}

function createHub(engine: HubEngine, recheckMs: number): BatchEventHub {
  const byBatch = new Map<string, Set<BatchSubscriber>>();
  let size = 0;
  let timers: Array<ReturnType<typeof setInterval>> = [];
  let rechecking = false;

  const dispatch =
    <E extends { batchId: string }>(tell: (subscriber: BatchSubscriber, event: E) => void) =>
    (event: E) => {
      const subscribers = byBatch.get(event.batchId);
      if (subscribers) for (const subscriber of subscribers) tell(subscriber, event);
    };
  const onProgress = dispatch<TaskProgressEvent>((s, e) => s.progress(e));
  const onEnded = dispatch<TaskEndedEvent>((s, e) => s.ended(e));
  const onBatchCompleted = dispatch<BatchCompletedEvent>((s, e) => s.batchCompleted(e));

  async function recheck(): Promise<void> {
    if (rechecking) return; // the last round is still reading: skip this one
    rechecking = true;
    try {
      const ids = [...byBatch.keys()];
      let next = 0;
      const reader = async () => {
        while (next < ids.length) {
          const batchId = ids[next++]!;
          const subscribers = byBatch.get(batchId);
          if (!subscribers) continue;
          const read = engine.storage.getBatch(batchId);
          for (const subscriber of subscribers) subscriber.recheck(read);
          await read.catch(() => {});
        }
      };
      await Promise.all(Array.from({ length: Math.min(RECHECK_READS, ids.length) }, reader));
    } finally {
      rechecking = false;
    }
  }

  function attach(): void {
    engine.events.on('task:progress', onProgress);
    engine.events.on('task:completed', onEnded);
    engine.events.on('task:failed', onEnded);
    engine.events.on('task:cancelled', onEnded);
    engine.events.on('batch:completed', onBatchCompleted);
    timers = [
      setInterval(() => void recheck(), recheckMs),
      setInterval(() => {
        for (const subscribers of byBatch.values()) for (const subscriber of subscribers) subscriber.heartbeat();
      }, HEARTBEAT_MS),
    ];
  }

  function detach(): void {
    engine.events.off('task:progress', onProgress);
    engine.events.off('task:completed', onEnded);
    engine.events.off('task:failed', onEnded);
    engine.events.off('task:cancelled', onEnded);
    engine.events.off('batch:completed', onBatchCompleted);
    for (const timer of timers) clearInterval(timer);
    timers = [];
  }

  return {
    get size() {
      return size;
    },
    subscribe(batchId, subscriber) {
      if (size === 0) attach();
      let subscribers = byBatch.get(batchId);
      if (!subscribers) {
        subscribers = new Set();
        byBatch.set(batchId, subscribers);
      }
      subscribers.add(subscriber);
      size++;
      let subscribed = true;
      return () => {
        if (!subscribed) return;
        subscribed = false;
        subscribers.delete(subscriber);
        if (subscribers.size === 0 && byBatch.get(batchId) === subscribers) byBatch.delete(batchId);
        if (--size === 0) detach();
      };
    },
  };
}
