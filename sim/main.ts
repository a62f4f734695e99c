import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { report } from './report.js';
import { runSeed } from './run-seed.js';
import { STORAGE_NAMES, type StorageName } from './storages.js';

/**
 * `npm run sim -- --seeds N [--seed S] [--storage memory|sqlite|redis|postgres] [--trace file]`:
 * runs seeds S, S+1, … S+N-1 (S defaults to 1) and stops at the first that breaks an invariant,
 * printing the command that replays it and the steps that led there.
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string' },
      seed: { type: 'string' },
      storage: { type: 'string', default: 'memory' },
      trace: { type: 'string' },
    },
  });
  const storage = values.storage as StorageName;
  if (!STORAGE_NAMES.includes(storage)) throw new Error(`--storage must be one of ${STORAGE_NAMES.join(', ')}`);
  const first = values.seed === undefined ? 1 : Number(values.seed);
  const count = values.seeds === undefined ? (values.seed === undefined ? 100 : 1) : Number(values.seeds);
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(count) || count < 1)
    throw new Error('--seed and --seeds must be whole numbers');
  const started = performance.now();
  let windowSubmits = 0;
  let idempotencyWindow = 0;
  let stuck = 0;
  let crashes = 0;
  let steps = 0;
  for (let seed = first; seed < first + count; seed++) {
    const result = await runSeed(seed, { storage });
    windowSubmits += result.windowSubmits;
    idempotencyWindow += result.idempotencyWindow;
    stuck += result.stuckUntilRestart;
    crashes += result.crashes;
    steps += result.steps;
    if (values.trace && count === 1) writeFileSync(values.trace, `${result.trace.join('\n')}\n`);
    if (result.violations.length) {
      report(result, values.trace);
      return 1;
    }
    if (count >= 20 && (seed - first + 1) % Math.ceil(count / 10) === 0) process.stdout.write(`  ${seed - first + 1}/${count} seeds\n`);
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${count} seeds passed on ${storage} in ${seconds.toFixed(1)} s (${(count / seconds).toFixed(1)} seeds/s, ${steps} steps, ${crashes} crashes, ` +
      `${windowSubmits} provider requests submitted again in the crash window between the provider's answer and saving its id, ` +
      `${idempotencyWindow} keyed generations made again after a crash between the record and the key's answer, ` +
      `${stuck} tasks left open until the last restart)`,
  );
  return 0;
}

process.exitCode = await main();
