import type { TaskProgressEvent } from '../src/core/events.js';
import type { StorageAdapter } from '../src/core/ports/storage-adapter.js';
import type { BatchRecord, BatchTask, GenerationRecord, LedgerEntry } from '../src/core/schemas/records.js';

/** Who made a storage call: one workload action (a single generation, a submit...) or an engine's own work. */
export interface Actor {
  id: string;
  kind: 'single' | 'batch' | 'retry' | 'cancel' | 'grant' | 'start' | 'sweep';
  username?: string;
  /** The idempotency key the action used, if any. */
  key?: string;
}

/** One transition that ended a task, as committed in storage. */
export interface TaskEnd {
  op: 'complete' | 'fail' | 'cancel';
  engine: number;
  /** The claim number the caller held (null for a cancel, which takes any). */
  callAttempts: number | null;
  /** The task's claim number as stored after the transition. */
  taskAttempts: number;
  /** Paid runs of the task before this one (0 until a retry). */
  generation: number;
  step: number;
}

/** What the storage calls and the engines' events showed during a run: the facts the invariants judge. */
export class History {
  /** Batch task prompt → task id (prompts are unique per task in a simulated run). */
  readonly taskOfPrompt = new Map<string, string>();
  /** Task id → committed retries. */
  readonly generation = new Map<string, number>();
  readonly ends = new Map<string, TaskEnd[]>();
  /** `{taskId}#{generation}` → provider requests submitted for that paid run. */
  readonly submits = new Map<string, string[]>();
  /** `{taskId}#{generation}` whose provider request id was saved before (the id). */
  readonly saved = new Map<string, string>();
  /**
   * Second submits of a paid run while the first request's id was not saved yet, or by a claim
   * another engine had already taken over (its save then fails): the documented window.
   */
  windowSubmits = 0;
  /** Task id → the claim number each engine last won, and the task's current claim. */
  readonly claims = new Map<string, { current: number; progress: number; byEngine: Map<number, number> }>();
  /** Second submits although the first request's id was saved: a paid request paid again. */
  readonly repaid: Array<{ key: string; step: number }> = [];
  readonly progress = new Map<string, { attempt: number; generation: number; floor: number }>();
  readonly progressDrops: Array<{ taskId: string; from: number; to: number; attempt: number; engine: number; step: number }> = [];
  readonly completedEvents = new Map<string, number>();
  /** Single generations by actor id: the charge and record each one wrote. */
  readonly singles = new Map<
    string,
    { username: string; key: string | null; chargeKeys: string[]; recordIds: string[]; answered?: boolean; settled?: boolean }
  >();
  /**
   * Keyed generations made again because the first one's process died between its record and
   * storing the key's answer (the key went stale): a known gap, counted and reported.
   */
  idempotencyWindow = 0;
  readonly unexpectedErrors: string[] = [];
  readonly users = new Set<string>();
  /** Batch tags submitted with an idempotency key (their prompts start with the tag). */
  readonly keyedBatchTags = new Set<string>();

  constructor(private readonly step: () => number) {}

  genOf(taskId: string): number {
    return this.generation.get(taskId) ?? 0;
  }

  /** Records what a committed storage call did. */
  observe(name: keyof StorageAdapter, args: unknown[], result: unknown, actor: Actor | undefined, engine: number): void {
    const step = this.step();
    switch (name) {
      case 'createBatch': {
        for (const task of (result as { batch: BatchRecord }).batch.tasks) this.taskOfPrompt.set(task.prompt, task.taskId);
        break;
      }
      case 'claimTask': {
        const task = result as BatchTask | null;
        if (task) {
          const claims = this.claims.get(task.taskId) ?? { current: 0, progress: 0, byEngine: new Map() };
          claims.current = task.attempts;
          claims.progress = task.progress;
          claims.byEngine.set(engine, task.attempts);
          this.claims.set(task.taskId, claims);
        }
        break;
      }
      case 'retryTask': {
        const r = result as { replayed: boolean };
        if (!r.replayed) {
          const taskId = `${args[0]}:${args[1]}`;
          this.generation.set(taskId, this.genOf(taskId) + 1);
        }
        break;
      }
      case 'updateTaskProgress': {
        const update = args[3] as { providerRequestId?: string | null };
        if (result === true && update.providerRequestId) this.saved.set(this.#runKey(`${args[0]}:${args[1]}`), update.providerRequestId);
        break;
      }
      case 'completeTask':
      case 'failTask': {
        const r = result as { task: BatchTask } | null;
        if (r)
          this.#end(r.task.taskId, {
            op: name === 'completeTask' ? 'complete' : 'fail',
            engine,
            callAttempts: args[2] as number,
            taskAttempts: r.task.attempts,
            step,
          });
        break;
      }
      case 'cancelTasks': {
        const r = result as { cancelled: Array<{ task: BatchTask }> } | null;
        for (const c of r?.cancelled ?? [])
          this.#end(c.task.taskId, { op: 'cancel', engine, callAttempts: null, taskAttempts: c.task.attempts, step });
        break;
      }
      case 'applyLedgerEntry': {
        const input = args[0] as { kind: string; idempotencyKey: string };
        const single = actor?.kind === 'single' ? this.singles.get(actor.id) : undefined;
        if (single && input.kind === 'charge' && !(result as { replayed: boolean }).replayed) single.chargeKeys.push(input.idempotencyKey);
        break;
      }
      case 'completeIdempotent': {
        const single = actor?.kind === 'single' ? this.singles.get(actor.id) : undefined;
        if (single) single.answered = true;
        break;
      }
      case 'createRecord': {
        const single = actor?.kind === 'single' ? this.singles.get(actor.id) : undefined;
        single?.recordIds.push((args[0] as GenerationRecord).recordId);
        break;
      }
      default:
        break;
    }
  }

  /** A provider accepted a request (it is paid from now on). */
  submitted(prompt: string, requestId: string, engine: number): void {
    const taskId = this.taskOfPrompt.get(prompt);
    if (!taskId) return; // a single generation: never resumed, nothing to compare
    const key = this.#runKey(taskId);
    const earlier = this.submits.get(key) ?? [];
    const claims = this.claims.get(taskId);
    const stale = claims !== undefined && claims.byEngine.get(engine) !== claims.current;
    if (earlier.length > 0) {
      if (this.saved.has(key) && !stale) this.repaid.push({ key, step: this.step() });
      else this.windowSubmits++;
    }
    earlier.push(requestId);
    this.submits.set(key, earlier);
  }

  /** A task's progress as an engine announced it. */
  progressed(event: TaskProgressEvent, engine: number): void {
    const gen = this.genOf(event.taskId);
    const seen = this.progress.get(event.taskId);
    if (seen && event.attempt < seen.attempt) return; // a superseded claim: clients drop it by its attempt
    // A new claim starts from the progress stored (a dead claim's last events may never have been
    // written: progress writes are throttled); within a claim, nothing may go down.
    const floor =
      !seen || seen.generation !== gen ? 0 : event.attempt > seen.attempt ? (this.claims.get(event.taskId)?.progress ?? 0) : seen.floor;
    if (event.progress < floor) {
      this.progressDrops.push({ taskId: event.taskId, from: floor, to: event.progress, attempt: event.attempt, engine, step: this.step() });
    }
    this.progress.set(event.taskId, { attempt: event.attempt, generation: gen, floor: Math.max(floor, event.progress) });
  }

  completed(taskId: string): void {
    this.completedEvents.set(taskId, (this.completedEvents.get(taskId) ?? 0) + 1);
  }

  #runKey(taskId: string): string {
    return `${taskId}#${this.genOf(taskId)}`;
  }

  #end(taskId: string, end: Omit<TaskEnd, 'generation'>): void {
    const list = this.ends.get(taskId) ?? [];
    list.push({ ...end, generation: this.genOf(taskId) });
    this.ends.set(taskId, list);
  }
}

/** The final state read straight from storage, for the invariants. */
export interface FinalState {
  batches: BatchRecord[];
  journals: Map<string, LedgerEntry[]>;
  balances: Map<string, number>;
  records: GenerationRecord[];
}
