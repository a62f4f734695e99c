import type { RunResult } from './run-seed.js';

/** The broken invariants, the command that replays the seed, and the trace of what led there. */
export function report(result: RunResult, traceFile?: string): void {
  console.log(`\nseed ${result.seed} on ${result.storage} broke ${result.violations.length} invariant check(s):`);
  for (const v of result.violations.slice(0, 10)) console.log(`  ✗ ${v.invariant}: ${v.message}`);
  console.log(`\nreplay: npm run sim -- --seed ${result.seed} --storage ${result.storage}${traceFile ? '' : ' --trace sim-trace.txt'}`);
  const subject = result.violations[0]!.subject;
  const prompts = new Set<string>();
  const related = subject
    ? result.trace.filter((line) => {
        const hit =
          line.includes(subject) || line.includes('CRASH') || line.includes('start engine') || [...prompts].some((p) => line.includes(p));
        const accepted = / accepted (req-\d+)/.exec(line);
        if (hit && accepted) prompts.add(`${accepted[1]}`);
        return hit;
      })
    : [];
  const lines = related.length ? related : result.trace.slice(-60);
  console.log(
    `\ntrace (${lines.length} of ${result.trace.length} steps${related.length ? `, those naming ${subject}, crashes and starts` : ', the last ones'}):`,
  );
  for (const line of lines.slice(-150)) console.log(`  ${line}`);
}
