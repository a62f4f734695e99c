/**
 * A child process of the multi-process race tests. Opens the shared storage, prints `ready`, waits
 * for `go` on stdin, runs its part at once, prints one JSON line with the outcome and exits.
 *
 *   tsx race-worker.ts <sqlite|redis|postgres> <file|prefix|schema> charge <username> <count> <label>
 *   tsx race-worker.ts <sqlite|redis|postgres> <file|prefix|schema> complete <batchId> <index> <attempts> <label>
 *   tsx race-worker.ts <sqlite|redis|postgres> <file|prefix|schema> batches <username> <count> <process number> <maxTasksWaiting>
 */
import { createInterface } from 'node:readline';
import { isImageGenError } from '../../../src/core/errors/index.js';
import { sleep } from '../../../src/core/util/sleep.js';
import { openStorage, type StorageKind } from './open-storage.js';
import { PROGRESS } from '../../../src/core/policy/progress.js';
import { charge, makeBatch } from '../../../src/adapter-kit/index.js';

const [kind, target, mode, ...rest] = process.argv.slice(2) as [StorageKind, string, string, ...string[]];
const storage = await openStorage(kind, target);

/** How many calls succeeded, and the error codes of the others. */
function outcome(settled: PromiseSettledResult<unknown>[]): { ok: number; codes: Record<string, number> } {
  const codes: Record<string, number> = {};
  let ok = 0;
  for (const s of settled) {
    if (s.status === 'fulfilled') ok++;
    else {
      const reason = s.reason as { code?: string; message?: string };
      const code = isImageGenError(s.reason) ? s.reason.code : `unexpected ${reason.code ?? ''} ${reason.message ?? String(s.reason)}`;
      codes[code] = (codes[code] ?? 0) + 1;
    }
  }
  return { ok, codes };
}

async function run(): Promise<unknown> {
  if (mode === 'charge') {
    const [username, count, label] = rest as [string, string, string];
    const settled = await Promise.allSettled(
      // Spread over ~30 ms so the processes' writes interleave as many separate transactions.
      Array.from({ length: Number(count) }, async (_, i) => {
        await sleep(Math.random() * 30);
        return storage.applyLedgerEntry({ username, kind: 'charge', amount: -1, idempotencyKey: `${label}-${i}` }, Date.now());
      }),
    );
    return outcome(settled);
  }
  if (mode === 'batches') {
    const [username, count, n, max] = rest as [string, string, string, string];
    const settled = await Promise.allSettled(
      Array.from({ length: Number(count) }, async (_, i) => {
        await sleep(Math.random() * 30);
        // Ids of their own per process: 1 task each, 1 credit each.
        const ts = 1_700_000_000_000 + Number(n) * 1_000_000 + i;
        return storage.createBatch(makeBatch(username, ts, ['x']), charge(username, 1, `b${n}-${i}`), Date.now(), {
          maxTasksWaiting: Number(max),
        });
      }),
    );
    return outcome(settled);
  }
  if (mode === 'complete') {
    const [batchId, index, attempts, label] = rest as [string, string, string, string];
    const ended = await storage.completeTask(
      batchId,
      Number(index),
      Number(attempts),
      { result: { imageUrl: `/img/${label}.png`, requestId: label }, progress: PROGRESS.done },
      Date.now(),
    );
    return { won: ended !== null };
  }
  throw new Error(`unknown mode ${mode}`);
}

const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
for await (const line of lines) {
  if (line.trim() !== 'go') continue;
  try {
    process.stdout.write(`${JSON.stringify(await run())}\n`);
  } finally {
    await storage.close();
    lines.close();
  }
  break;
}
