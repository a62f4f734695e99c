import type { StorageAdapter } from '../src/core/ports/storage-adapter.js';
import type { BatchRecord, GenerationRecord, LedgerEntry } from '../src/core/schemas/records.js';
import type { FinalState } from './history.js';
import { INVARIANTS, type Violation } from './invariants.js';
import { Prng } from './prng.js';
import { EPOCH } from './scheduler.js';
import { freshStorage, type StorageName } from './storages.js';
import { repeatKeyedGenerations, scheduleWorkload, type WorkloadSize } from './workload.js';
import { type SimConfig, World } from './world.js';

export interface RunOptions {
  storage?: StorageName;
  /** Wraps the storage before the engines get it (the mutants of `test/sim`). */
  wrap?: (storage: StorageAdapter) => StorageAdapter;
  size?: Partial<WorkloadSize>;
  /** A run taking more steps than this is reported as not terminating. @default 60000 */
  maxSteps?: number;
}

export interface RunResult {
  seed: number;
  storage: StorageName;
  violations: Violation[];
  trace: string[];
  steps: number;
  virtualMs: number;
  crashes: number;
  /** Provider requests submitted a second time in the documented crash window. */
  windowSubmits: number;
  /** Keyed generations made twice because a crash came between the record and the key's answer. */
  idempotencyWindow: number;
  /** Tasks still open once the workload settled, finished only by the last restart (their job was lost to a fault). */
  stuckUntilRestart: number;
}

const DEFAULT_SIZE: WorkloadSize = { users: 2, actions: 8, spanMs: 20_000 };

/** Draws a run's knobs from its seed: some runs are calm, most have faults, crashes and chaos. */
export function configFor(prng: Prng): SimConfig {
  const calm = prng.chance(0.1);
  const rate = calm ? 0 : 0.005 + prng.next() * 0.02;
  return {
    faults: {
      throwBefore: rate,
      throwAfter: rate,
      crashBefore: rate / 3,
      crashAfter: rate / 2,
      maxCrashes: calm ? 0 : prng.range(0, 3),
    },
    providerErrors: calm ? 0 : 0.01 + prng.next() * 0.04,
    providerHang: calm ? 0 : 0.02,
    leaseMs: 3_000,
    refundFailedBatchTasks: prng.chance(0.5),
    refundCancelledRunning: prng.chance(0.3),
    engines: prng.range(1, 3),
  };
}

/** Runs one seed on a fresh storage and checks every invariant. The same seed gives the same trace. */
export async function runSeed(seed: number, options: RunOptions = {}): Promise<RunResult> {
  const storageName = options.storage ?? 'memory';
  const prng = new Prng(seed);
  const config = configFor(prng);
  const fresh = await freshStorage(storageName);
  const storage = options.wrap ? options.wrap(fresh.storage) : fresh.storage;
  const world = new World(prng, storage, config);
  const restore = seedRandomUuid(new Prng(seed ^ 0x51ed));
  const maxSteps = options.maxSteps ?? 60_000;
  const size = { ...DEFAULT_SIZE, ...options.size };
  const violations: Violation[] = [];
  let stuck = 0;
  try {
    for (let i = 0; i < config.engines; i++) world.startEngine();
    scheduleWorkload(world, size);
    const run = async () => {
      while (world.sched.steps < maxSteps) {
        if (world.chaos && world.sched.now - EPOCH > size.spanMs * 3) world.chaos = false;
        if (!(await world.sched.step(40))) return true;
      }
      return false;
    };
    let finished = await run();
    // Open tasks no live engine will finish before a restart (their job was lost with a fault).
    const before = await readFinal(storage, [...world.history.users], world.sched.now);
    stuck = before.batches.flatMap((b) => b.tasks).filter((t) => t.status === 'pending' || t.status === 'processing').length;
    // The last phase: no more faults; time passes beyond every staleness window and a last
    // process starts (recovering what the others left), then the keyed generations are sent again.
    world.chaos = false;
    const staleAfterMs = [...world.engines.values()][0]!.engine.idempotency.staleAfterMs;
    for (const slot of world.liveEngines()) world.crash(slot.id, 'final restart');
    world.sched.now += staleAfterMs + 1_000;
    const restarted = world.startEngine();
    finished &&= await run();
    repeatKeyedGenerations(world, restarted);
    finished &&= await run();
    if (!finished) violations.push({ invariant: 'runTerminates', subject: '', message: `still running after ${maxSteps} steps` });
    const final = await readFinal(storage, [...world.history.users], world.sched.now);
    const input = { history: world.history, final, taskPrice: restarted.prices.batchTask, singlePrice: restarted.prices.textToImage };
    for (const check of INVARIANTS) violations.push(...check(input));
  } finally {
    restore();
    await fresh.cleanup();
  }
  return {
    seed,
    storage: storageName,
    violations,
    trace: world.sched.trace,
    steps: world.sched.steps,
    virtualMs: world.sched.now - EPOCH,
    crashes: world.crashes,
    windowSubmits: world.history.windowSubmits,
    idempotencyWindow: world.history.idempotencyWindow,
    stuckUntilRestart: stuck,
  };
}

/** Everything the invariants look at, read straight from storage. */
async function readFinal(storage: StorageAdapter, users: string[], now: number): Promise<FinalState> {
  const final: FinalState = { batches: [], journals: new Map(), balances: new Map(), records: [] };
  for (const username of users) {
    const entries: LedgerEntry[] = [];
    for (let cursor: string | null = null; ; ) {
      const page = await storage.listLedger(username, { limit: 100, cursor }, now);
      entries.push(...page.items);
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    final.journals.set(username, entries.reverse());
    final.balances.set(username, await storage.getBalance(username, now));
    for (let cursor: string | null = null; ; ) {
      const page = await storage.listBatches(username, { limit: 100, cursor });
      for (const summary of page.items) final.batches.push((await storage.getBatch(summary.batchId)) as BatchRecord);
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    for (let cursor: string | null = null; ; ) {
      const page = await storage.listRecords(username, { limit: 100, cursor });
      final.records.push(...(page.items as GenerationRecord[]));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
  }
  return final;
}

/** The engine draws a random part for charge keys: seeded here, so a run is the same every time. */
function seedRandomUuid(prng: Prng): () => void {
  const original = crypto.randomUUID;
  const seeded = () =>
    `${prng.hex(8)}-${prng.hex(4)}-4${prng.hex(3)}-a${prng.hex(3)}-${prng.hex(12)}` as ReturnType<typeof crypto.randomUUID>;
  Object.defineProperty(crypto, 'randomUUID', { value: seeded, configurable: true, writable: true });
  return () => Object.defineProperty(crypto, 'randomUUID', { value: original, configurable: true, writable: true });
}
