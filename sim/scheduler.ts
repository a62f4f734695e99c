import type { Timers } from '../src/core/util/timers.js';
import type { Prng } from './prng.js';

/** Who a step belongs to: an engine's id, or 0 for the simulator itself (workload, checks). */
export type Owner = number;

interface Step {
  id: number;
  owner: Owner;
  label: string;
  run: () => unknown;
  /** The timer that made this step, so clearing the timer drops it too. */
  timerId?: number;
}

interface Timer {
  id: number;
  owner: Owner;
  at: number;
  label: string;
  fn: () => void;
  /** Set for an interval: it fires again this long after each run. */
  every?: number;
}

/** The virtual epoch every run starts at (a fixed date: ids and expiries come out the same). */
export const EPOCH = Date.UTC(2026, 0, 1);

const macrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Virtual time and the queue of steps that may run next. Every storage call, provider answer and
 * timer of every engine is a step; the PRNG picks which ready step runs, one at a time, and the
 * engines' code runs until each of them waits again. Time moves only here.
 */
export class Scheduler {
  now = EPOCH;
  readonly trace: string[] = [];
  #ready: Step[] = [];
  readonly #timers = new Map<number, Timer>();
  #nextId = 1;
  #steps = 0;

  constructor(private readonly prng: Prng) {}

  get steps(): number {
    return this.#steps;
  }

  /** Adds a step that may run from now on; returns its id (to {@link cancel} it). */
  ready(owner: Owner, label: string, run: () => unknown): number {
    const id = this.#nextId++;
    this.#ready.push({ id, owner, label, run });
    return id;
  }

  /** Runs `fn` once `ms` of virtual time have passed (a step like any other once due). */
  timer(owner: Owner, ms: number, label: string, fn: () => void, every?: number): number {
    const id = this.#nextId++;
    this.#timers.set(id, { id, owner, at: this.now + Math.max(0, ms), label, fn, ...(every ? { every } : {}) });
    return id;
  }

  /** Forgets a ready step or a timer. */
  cancel(id: number): void {
    this.#timers.delete(id);
    this.#ready = this.#ready.filter((s) => s.id !== id && s.timerId !== id);
  }

  /** A crash: every step and timer of `owner` is dropped; what it awaited never settles. */
  dropOwner(owner: Owner): void {
    this.#ready = this.#ready.filter((s) => s.owner !== owner);
    for (const [id, t] of this.#timers) if (t.owner === owner) this.#timers.delete(id);
  }

  /** The engine-facing timers of one owner. */
  timersFor(owner: Owner): Timers {
    return {
      setTimeout: (fn, ms) => this.timer(owner, ms, `timeout ${ms}ms`, fn),
      clearTimeout: (handle) => this.cancel(handle as number),
      setInterval: (fn, ms) => this.timer(owner, ms, `interval ${ms}ms`, fn, Math.max(1, ms)),
      clearInterval: (handle) => this.cancel(handle as number),
    };
  }

  /** True when nothing is ready and no timer is set. */
  get quiet(): boolean {
    return this.#ready.length === 0 && this.#timers.size === 0;
  }

  /** Appends a line to the trace (virtual ms since the epoch, owner, what happened). */
  log(owner: Owner, text: string): void {
    this.trace.push(`#${this.#steps} +${this.now - EPOCH}ms ${owner === 0 ? 'sim' : `e${owner}`} ${text}`);
  }

  /**
   * Runs one step: a ready one picked by the PRNG (time moves on a little), or, when none is ready,
   * the earliest timer after moving time to it. Returns false when there is nothing left to run.
   */
  async step(jitterMs: number): Promise<boolean> {
    if (this.#ready.length > 0) this.now += this.prng.int(jitterMs + 1);
    this.#promoteDue();
    if (this.#ready.length === 0) {
      const next = this.#earliest();
      if (!next) return false;
      this.now = Math.max(this.now, next.at);
      this.#promoteDue();
    }
    const index = this.prng.int(this.#ready.length);
    const step = this.#ready[index]!;
    this.#ready.splice(index, 1);
    this.#steps++;
    this.log(step.owner, step.label);
    await step.run();
    await macrotask();
    return true;
  }

  /** Lets everything already resolved run to its next wait (no step is taken). */
  settle(): Promise<void> {
    return macrotask();
  }

  /** Due timers become ready steps, in the order they were due. */
  #promoteDue(): void {
    const due = [...this.#timers.values()].filter((t) => t.at <= this.now).sort((a, b) => a.at - b.at || a.id - b.id);
    for (const t of due) {
      if (t.every) t.at = this.now + t.every;
      else this.#timers.delete(t.id);
      this.#ready.push({ id: this.#nextId++, owner: t.owner, label: t.label, run: t.fn, timerId: t.id });
    }
  }

  #earliest(): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.#timers.values()) if (!best || t.at < best.at || (t.at === best.at && t.id < best.id)) best = t;
    return best;
  }
}
