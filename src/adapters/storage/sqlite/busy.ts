import { sleep } from '../../../core/util/sleep.js';

/** True for SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT, SQLITE_BUSY_RECOVERY, ...). */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/**
 * Runs a synchronous transaction, and runs it again when another process held the write lock
 * longer than SQLite's own `busy_timeout` wait. Waiting yields the event loop with a jittered
 * back-off, so other work in this process goes on. Only after `giveUpMs` does the error surface.
 */
export async function withBusyRetry<T>(run: () => T, giveUpMs: number): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return run();
    } catch (error) {
      if (!isBusy(error) || Date.now() - started > giveUpMs) throw error;
      await sleep(Math.min(50, 2 ** Math.min(attempt, 5)) * (0.5 + Math.random()));
    }
  }
}
