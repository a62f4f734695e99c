/** Wall time of `fn` in seconds. */
export async function timed(fn: () => Promise<void>): Promise<{ seconds: number }> {
  const start = performance.now();
  await fn();
  return { seconds: (performance.now() - start) / 1000 };
}

/** Heap in use after a full collection (run node with --expose-gc; otherwise without collecting). */
export function heapUsedAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

/** How many times faster the subject ran than the baseline, to 2 decimals. */
export function ratio(baselineSeconds: number, subjectSeconds: number): number {
  return Math.round((baselineSeconds / subjectSeconds) * 100) / 100;
}
