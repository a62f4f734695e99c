import type { Dispatcher } from '../ports/dispatcher.js';
import type { ImageStore } from '../ports/image-store.js';
import type { StorageAdapter } from '../ports/storage-adapter.js';

/** One dependency's answer to a readiness probe. */
export interface ReadinessCheck {
  ok: boolean;
  /** How long it took to answer (or to time out), ms. */
  ms: number;
  /** Why it is not ok: the error's message (a port never puts a secret in one). */
  error?: string;
}

/** Whether this process should get work: storage, queue and image store answer, and it is not shutting down. */
export interface ReadinessReport {
  ready: boolean;
  /** `stop()` has begun: a load balancer should send no more work here. */
  stopping: boolean;
  checks: { storage: ReadinessCheck; queue: ReadinessCheck; images: ReadinessCheck };
}

/** A key no image is stored under (a valid one, so every store looks it up rather than refusing it). */
const PROBE_IMAGE_KEY = 'readiness-probe.png';
const PROBE_BATCH_ID = 'readiness-probe';

async function timed(probe: () => Promise<unknown>, timeoutMs: number): Promise<ReadinessCheck> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (error) {
    return { ok: false, ms: Math.round(performance.now() - started), error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** Asks storage (one read), the queue (`ping`, when it has one) and the image store (one lookup) at once, each under `timeoutMs`. */
export async function checkReadiness(
  deps: { storage: StorageAdapter; dispatcher: Dispatcher; imageStore: ImageStore; stopping: boolean },
  timeoutMs: number,
): Promise<ReadinessReport> {
  const [storage, queue, images] = await Promise.all([
    timed(() => deps.storage.getBatch(PROBE_BATCH_ID), timeoutMs),
    timed(() => deps.dispatcher.ping?.() ?? Promise.resolve(), timeoutMs),
    timed(() => deps.imageStore.get(PROBE_IMAGE_KEY), timeoutMs),
  ]);
  return { ready: !deps.stopping && storage.ok && queue.ok && images.ok, stopping: deps.stopping, checks: { storage, queue, images } };
}
