import { createQueuesDispatcher, type QueuesDispatcher } from '../../src/adapters/dispatch/queues/index.js';
import { createR2ImageStore } from '../../src/adapters/image-stores/r2/index.js';
import { createEdgeOfflineProvider } from '../../src/adapters/providers/offline/edge.js';
import { createD1Storage } from '../../src/adapters/storage/d1/index.js';
import { createEngine, type Engine } from '../../src/index.js';
import type { Env } from './env.js';

export type WorkerEngine = Engine & { dispatcher: QueuesDispatcher };

/**
 * One engine per isolate and role: `api` for requests (submits go to the queue), `worker` for the
 * queue consumer. Bindings are the same objects for the isolate's life, so the engine is too.
 */
const engines = new Map<string, WorkerEngine>();

export function engineFor(env: Env, role: 'api' | 'worker'): WorkerEngine {
  let engine = engines.get(role);
  if (!engine) {
    const latencyMs = Number(env.OFFLINE_LATENCY_MS ?? 2500);
    engine = createEngine({
      storage: createD1Storage({ database: env.DB }),
      imageStore: createR2ImageStore({ bucket: env.IMAGES }),
      // Real PNGs with no key and no native code; put a real provider adapter here for production.
      provider: createEdgeOfflineProvider({ latencyMs, size: 512 }),
      pollPolicy: { pollIntervalMs: 400 },
      dispatcher: createQueuesDispatcher({ queue: env.TASKS }),
      role,
      // A consumer invocation may be cut off; another takes the task over once this has passed.
      leaseMs: Number(env.LEASE_MS ?? 30_000),
    }) as WorkerEngine;
    engines.set(role, engine);
  }
  return engine;
}
