/** One line of `npm run bench -- --json`: every case reports at least these fields. */
export interface BenchResult {
  case: string;
  tasks: number;
  tasksPerSec: number;
  baseline: string;
  baselineTasksPerSec: number;
  /** tasksPerSec / baselineTasksPerSec (or the case's own ratio, explained in `note`). */
  ratio: number;
  /** Memory held per stored task after the run, when the case measures it. */
  bytesPerTask?: number;
  [extra: string]: unknown;
}

/** A benchmark case: runs itself and its baseline side by side and reports one result (or one per setting, e.g. per process count). */
export interface BenchCase {
  name: string;
  /** Cases that need a service (Redis, PostgreSQL) say so; the runner skips them with a notice when it is down. */
  needs?: Array<'redis' | 'postgres'>;
  run(): Promise<BenchResult | BenchResult[]>;
}
