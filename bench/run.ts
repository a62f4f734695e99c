import { cases } from './cases/index.js';
import type { BenchResult } from './case.js';

/**
 * `npm run bench [-- --json] [-- --only name[,name…]] [-- --chart docs/bench.svg]`: runs every case
 * (or the named ones), each beside its baseline in the same process, and prints tasks/s and the
 * ratio (JSON: one object per line per case). `--chart` also writes an SVG bar chart of every
 * result's ratio against its goal (bench/goals.ts).
 */
const args = process.argv.slice(2);
const json = args.includes('--json');
const flagValue = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
const only = flagValue('--only')?.split(',');
const chart = flagValue('--chart');
const collected: BenchResult[] = [];

async function redisUp(): Promise<boolean> {
  const { Redis } = await import('ioredis');
  const client = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function postgresUp(): Promise<boolean> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

function print(result: BenchResult): void {
  if (json) {
    console.log(JSON.stringify(result));
    return;
  }
  const extra = Object.entries(result)
    .filter(([k]) => !['case', 'tasks', 'tasksPerSec', 'baseline', 'baselineTasksPerSec', 'ratio'].includes(k))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  console.log(
    `${result.case.padEnd(24)} ${String(result.tasks).padStart(6)} tasks  ${String(result.tasksPerSec).padStart(7)} tasks/s` +
      `  vs ${result.baseline} ${result.baselineTasksPerSec} tasks/s  ratio ${result.ratio}  ${extra}`,
  );
}

let failed = false;
for (const benchCase of cases) {
  if (only && !only.includes(benchCase.name)) continue;
  if (benchCase.needs?.includes('redis') && !(await redisUp())) {
    console.error(`skipped ${benchCase.name}: no Redis on 127.0.0.1:6379`);
    continue;
  }
  if (benchCase.needs?.includes('postgres') && !(await postgresUp())) {
    console.error(`skipped ${benchCase.name}: no PostgreSQL answers on DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test)`);
    continue;
  }
  try {
    const results = await benchCase.run();
    for (const result of Array.isArray(results) ? results : [results]) {
      print(result);
      collected.push(result);
    }
  } catch (error) {
    failed = true;
    console.error(`${benchCase.name} failed:`, error);
  }
}
if (chart) {
  const { writeFileSync } = await import('node:fs');
  const { benchChart } = await import('./chart.js');
  writeFileSync(chart, benchChart(collected));
  console.error(`wrote ${chart} (${collected.length} results)`);
}
process.exit(failed ? 1 : 0);
