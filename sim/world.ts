import { AsyncLocalStorage } from 'node:async_hooks';
import { createMemoryImageStore } from '../src/adapters/image-stores/memory/index.js';
import { createEngine, type Engine } from '../src/core/engine.js';
import { isImageGenError } from '../src/core/errors/image-gen-error.js';
import type { StorageAdapter } from '../src/core/ports/storage-adapter.js';
import { chaosProvider, ProviderWorld } from './chaos-provider.js';
import { type FaultChoice, type FaultRates, SimFault } from './faults.js';
import { type Actor, History } from './history.js';
import type { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';
import { scheduledStorage } from './sim-storage.js';

/** The knobs of one run, drawn from its seed. */
export interface SimConfig {
  faults: FaultRates;
  /** Chance per provider call of each of 503, 429 and malformed JSON. */
  providerErrors: number;
  providerHang: number;
  leaseMs: number;
  refundFailedBatchTasks: boolean;
  refundCancelledRunning: boolean;
  /** Engines running at once. */
  engines: number;
}

interface EngineSlot {
  id: number;
  engine: Engine;
  alive: boolean;
}

const silent = { warn() {}, error() {} };
const ACTORS = new AsyncLocalStorage<Actor>();

/** Everything one simulated run shares: time, chance, the storage, the provider, the engines and what happened. */
export class World {
  readonly sched: Scheduler;
  readonly history: History;
  /** One for every run: each AsyncLocalStorage made stays hooked into every promise of the process. */
  readonly actors = ACTORS;
  readonly provider = new ProviderWorld();
  readonly imageStore = createMemoryImageStore();
  readonly engines = new Map<number, EngineSlot>();
  /** False in the final phase: no more faults or crashes, so everything can settle. */
  chaos = true;
  crashes = 0;
  #nextEngine = 1;
  #nextActor = 1;

  constructor(
    readonly prng: Prng,
    readonly storage: StorageAdapter,
    readonly config: SimConfig,
  ) {
    this.sched = new Scheduler(prng);
    this.history = new History(() => this.sched.steps);
  }

  alive(owner: number): boolean {
    return owner === 0 || this.engines.get(owner)?.alive === true;
  }

  liveEngines(): EngineSlot[] {
    return [...this.engines.values()].filter((e) => e.alive);
  }

  chooseFault(write: boolean): FaultChoice {
    if (!this.chaos) return 'none';
    const f = this.config.faults;
    const crashOk = this.crashes < f.maxCrashes;
    const roll = this.prng.next();
    const options: Array<[FaultChoice, number, boolean]> = [
      ['throw-before', f.throwBefore, true],
      ['throw-after', f.throwAfter, write],
      ['crash-before', f.crashBefore, crashOk],
      ['crash-after', f.crashAfter, crashOk && write],
    ];
    let edge = 0;
    for (const [choice, rate, allowed] of options) {
      edge += rate;
      if (allowed && roll < edge) return choice;
    }
    return 'none';
  }

  /** The engine is gone mid-step: nothing it awaited ever answers. A new one takes its place. */
  crash(owner: number, where: string): void {
    const slot = this.engines.get(owner);
    if (!slot?.alive) return;
    slot.alive = false;
    this.crashes++;
    this.sched.dropOwner(owner);
    this.sched.log(owner, `CRASH ${where}`);
    if (this.chaos) this.sched.timer(0, this.prng.range(0, 3_000), 'restart', () => this.startEngine());
  }

  /** Starts a new engine on the shared storage (recovering what the dead ones left). */
  startEngine(): Engine {
    const id = this.#nextEngine++;
    const engine = createEngine({
      storage: scheduledStorage(this, id),
      provider: chaosProvider(this, id),
      imageStore: this.imageStore,
      now: () => this.sched.now,
      timers: this.sched.timersFor(id),
      leaseMs: this.config.leaseMs,
      pollPolicy: { maxPolls: 6, pollIntervalMs: 1_000 },
      concurrency: 3,
      refundFailedBatchTasks: this.config.refundFailedBatchTasks,
      refundCancelledRunning: this.config.refundCancelledRunning,
      logger: silent,
    });
    engine.events.on('task:progress', (e) => {
      this.sched.log(id, `  event progress ${e.taskId} a${e.attempt} ${e.progress}`);
      this.history.progressed(e, id);
    });
    engine.events.on('task:completed', (e) => {
      this.sched.log(id, `  event completed ${e.taskId} a${e.attempt}`);
      this.history.completed(e.taskId);
    });
    engine.events.on('task:failed', (e) => this.sched.log(id, `  event failed ${e.taskId} a${e.attempt}: ${e.error.slice(0, 60)}`));
    engine.events.on('task:cancelled', (e) => this.sched.log(id, `  event cancelled ${e.taskId} was ${e.was}`));
    this.engines.set(id, { id, engine, alive: true });
    this.sched.log(0, `start engine e${id}`);
    void this.act({ kind: 'start' }, `e${id}.start`, () => engine.start()).then((ok) => {
      // A process whose start failed exits; its supervisor starts another.
      if (!ok && this.engines.get(id)?.alive) this.crash(id, 'start failed');
    });
    return engine;
  }

  /**
   * Runs one workload action in its own actor context; resolves true when it succeeded. Errors the
   * engine is meant to throw (domain errors, injected faults) are traced; anything else is recorded
   * as unexpected.
   */
  async act(actor: Omit<Actor, 'id'>, label: string, run: () => Promise<unknown>): Promise<boolean> {
    const full: Actor = { ...actor, id: `a${this.#nextActor++}` };
    if (full.kind === 'single')
      this.history.singles.set(full.id, { username: actor.username!, key: actor.key ?? null, chargeKeys: [], recordIds: [] });
    this.sched.log(0, `${full.id} ${label}`);
    const single = this.history.singles.get(full.id);
    try {
      await this.actors.run(full, run).finally(() => {
        // The caller heard back: its process did not die mid-request.
        if (single) single.settled = true;
      });
      this.sched.log(0, `${full.id} ok`);
      return true;
    } catch (error) {
      const e = error as Error;
      this.sched.log(0, `${full.id} ${e.name}: ${e.message.slice(0, 100)}`);
      if (!isImageGenError(error) && !(error instanceof SimFault)) this.history.unexpectedErrors.push(`${label}: ${e.name}: ${e.message}`);
      return false;
    }
  }
}
