import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

/**
 * Runs `fn`; with `BENCH_PROFILE_DIR` set, under the V8 CPU profiler, writing
 * `{dir}/{name}.cpuprofile` (open it in Chrome DevTools): only the timed part of a case, not its setup.
 */
export async function profiled<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const stop = await profileUntilStopped(name);
  try {
    return await fn();
  } finally {
    await stop();
  }
}

/**
 * With `BENCH_PROFILE_DIR` set, starts the V8 CPU profiler now and answers a function that stops
 * it and writes `{dir}/{name}-{pid}-{time}.cpuprofile` (for processes that end on a signal, such
 * as the scale-out workers); without it, a function that does nothing.
 */
export async function profileUntilStopped(name: string): Promise<() => Promise<void>> {
  const dir = process.env.BENCH_PROFILE_DIR;
  if (!dir) return async () => {};
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(join(dir, `${name}-${process.pid}-${Date.now()}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  };
}
