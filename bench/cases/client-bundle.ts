import { browserBundleSize } from '../browser-bundle.js';
import type { BenchCase, BenchResult } from '../case.js';

/** The budget of `test/client/bundle-size.test.ts`. */
const BUDGET_BYTES = 10_240;

/** The packages beside which the client's size is printed (all built the same way). */
const PEERS = ['@fal-ai/client', 'replicate', 'ky'] as const;

/**
 * Not a speed case: the built `imagegen-kit/client` bundled for the browser (esbuild, minified,
 * ESM, gzip level 9) beside `@fal-ai/client`, `replicate` and ky alone (which the client holds).
 * Prints a size table on stderr (stdout stays one line per result for `--json`) and reports
 * ratio = gzipped bytes / budget (≤ 1 meets it); `tasks` and `tasksPerSec` are 0.
 */
export const clientBundleCase: BenchCase = {
  name: 'client-bundle',
  async run(): Promise<BenchResult> {
    const client = await browserBundleSize('imagegen-kit/client');
    const peers = await Promise.all(PEERS.map(async (name) => ({ name, ...(await browserBundleSize(name)) })));
    const rows = [{ name: 'imagegen-kit/client', ...client }, ...peers];
    console.error('browser bundle (esbuild --bundle --minify --format=esm --platform=browser, gzip -9):');
    for (const row of rows)
      console.error(`  ${row.name.padEnd(20)} ${String(row.minified).padStart(8)} B minified ${String(row.gzipped).padStart(8)} B gzipped`);
    const [fal, replicate, ky] = peers;
    return {
      case: 'client-bundle',
      tasks: 0,
      tasksPerSec: 0,
      baseline: `budget ${BUDGET_BYTES} B`,
      baselineTasksPerSec: 0,
      ratio: Math.round((client.gzipped / BUDGET_BYTES) * 100) / 100,
      gzipBytes: client.gzipped,
      minifiedBytes: client.minified,
      falGzipBytes: fal!.gzipped,
      replicateGzipBytes: replicate!.gzipped,
      kyGzipBytes: ky!.gzipped,
      note: 'ratio = gzipped bytes / budget (lower is better)',
    };
  },
};
