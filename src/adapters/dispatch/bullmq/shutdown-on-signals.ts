import type { Engine } from '../../../core/engine.js';

export interface ShutdownOnSignalsOptions {
  /** How long running tasks get to finish before they are handed to other workers. @default 25000 */
  graceMs?: number;
  /** @default ['SIGTERM', 'SIGINT'] */
  signals?: NodeJS.Signals[];
  /** Runs after the engine stopped (close servers, storage). */
  onStopped?: () => Promise<void> | void;
  /** Exits the process when done (code 0, or 1 when stopping threw). @default true */
  exit?: boolean;
}

/**
 * Graceful shutdown for a worker or API process: on SIGTERM (or SIGINT) the engine stops taking
 * tasks, running ones get `graceMs` to finish, and the rest are interrupted with their lease
 * released: they stay `processing` in storage and their jobs go back to the queue, where another
 * worker takes them over and resumes the saved provider request. A second signal exits at once.
 * Keep `graceMs` below the orchestrator's kill timeout (Kubernetes: 30 s by default).
 *
 * Returns a function that removes the handlers.
 */
export function shutdownOnSignals(engine: Engine, options: ShutdownOnSignalsOptions = {}): () => void {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.exit(1);
    }
    stopping = true;
    void (async () => {
      let code = 0;
      try {
        await engine.stop({ graceMs: options.graceMs ?? 25_000 });
        await options.onStopped?.();
      } catch (error) {
        code = 1;
        console.error(`[imagegen-kit] stopping on ${signal} failed`, error);
      }
      if (options.exit !== false) process.exit(code);
    })();
  };
  for (const signal of signals) process.on(signal, handler);
  return () => {
    for (const signal of signals) process.off(signal, handler);
  };
}
