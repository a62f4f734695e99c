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

/** A child process started by {@link startProcesses}. */
export interface BenchProcess {
  /** The child's process id (its CPU time is read from `/proc`). */
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts `count` copies of `node --import tsx script ...args` and resolves once each printed
 * `ready` (so start-up and warm-up are never timed). `stop` sends SIGTERM and waits for the exit.
 */
export async function startProcesses(script: URL, args: string[], count: number): Promise<BenchProcess[]> {
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  return Promise.all(
    Array.from({ length: count }, () => {
      const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      return new Promise<BenchProcess>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('ready\n')) resolve({ pid: child.pid!, stop: async () => void (child.kill('SIGTERM'), await exited) });
        });
        void exited.then(() => reject(new Error(`${fileURLToPath(script)} exited before it was ready`)));
      });
    }),
  );
}

/** Resolves when `check` answers true, looking every `everyMs`. */
export async function until(check: () => Promise<boolean>, everyMs = 25): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, everyMs));
}

/** Rounds of each side of the engine-vs-BullMQ cases, alternating which goes first; medians are reported. */
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

/**
 * Runs `baseline` and `subject` (each answers its seconds) `rounds` times, alternating which goes
 * first, so a slow spell of the machine does not land on one side only. Answers the median seconds
 * of each and the ratio of each round.
 */
export async function alternating(
  baseline: () => Promise<number>,
  subject: () => Promise<number>,
  rounds = ROUNDS,
): Promise<{ baselineSeconds: number; subjectSeconds: number; roundRatios: string }> {
  const base: number[] = [];
  const subj: number[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      base.push(await baseline());
      subj.push(await subject());
    } else {
      subj.push(await subject());
      base.push(await baseline());
    }
  }
  return {
    baselineSeconds: median(base),
    subjectSeconds: median(subj),
    roundRatios: subj.map((s, i) => ratio(base[i]!, s)).join('/'),
  };
}

/** The middle value (the upper one of an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
