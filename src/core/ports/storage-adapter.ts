import type { BatchRecord, BatchSummary, BatchTask, GenerationRecord, LedgerEntry, LedgerKind, TaskResult } from '../schemas/records.js';

/** A request for one journal entry. `amount` is signed: negative for charges. */
export interface LedgerEntryInput {
  username: string;
  kind: LedgerKind;
  amount: number;
  /** Applying the same key twice applies it once; the same key with another amount, kind or fingerprint is a conflict. */
  idempotencyKey: string;
  reference?: string | null;
  reason?: string | null;
  /** Extra text that must match when the key is replayed (e.g. a hash of the request body). */
  fingerprint?: string | null;
}

/** The result of a ledger write. `replayed` is true when the key had already been applied. */
export interface LedgerWriteResult {
  entry: LedgerEntry;
  balance: number;
  replayed: boolean;
}

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface PageRequest {
  /** @default 20 */
  limit?: number;
  cursor?: string | null;
}

/** What a task must look like for a claim to succeed. */
export type ClaimExpectation =
  | { status: 'pending' }
  /** Take over a task another worker claimed (it died or its lease ran out): the claim number must match. */
  | { status: 'processing'; attempts: number };

export interface TaskClaim {
  expect: ClaimExpectation;
  now: number;
  leaseExpiresAt: number;
}

/** The outcome of a transition that ended a task. */
export interface TaskEndResult {
  task: BatchTask;
  batch: BatchSummary;
  /** True when this transition ended the last open task of the batch. */
  batchCompleted: boolean;
}

/** A task that is not ended, as listed for recovery after a restart. */
export interface OpenTaskRef {
  batchId: string;
  username: string;
  index: number;
  status: 'pending' | 'processing';
  attempts: number;
  leaseExpiresAt: number | null;
}

/**
 * A marker of a single generation (text-to-image, image-to-image) that may have been charged and
 * has neither its record nor its refund yet. Written before the charge and deleted once the record
 * or the refund is written, so a marker left behind names a generation whose process died; the
 * engine's sweep settles it (see `recoverGenerations`).
 */
export interface PendingGeneration {
  /** The id the record will have (`record:{username}:{timestamp}`); the marker's key. */
  recordId: string;
  username: string;
  /** The idempotency key of the charge (`charge:{recordId}`), refunded if the record never came. */
  chargeKey: string;
  /** When the generation began (ms, the engine's clock); the sweep only takes markers older than its staleness. */
  startedAt: number;
}

/** State of an idempotency key of a request that is not a ledger entry by itself. */
export type IdempotencyState =
  | { state: 'new' }
  | { state: 'pending'; fingerprint: string }
  | { state: 'done'; fingerprint: string; response: unknown };

export interface BeginIdempotentOptions {
  /**
   * A `pending` key that began at least this long before `now` belongs to a request presumed dead
   * (its process crashed): it is taken over, as if new, by exactly one caller, with that caller's
   * fingerprint. Choose it longer than the longest request can run. Absent: a pending key waits
   * for {@link StorageAdapter.completeIdempotent} or {@link StorageAdapter.abandonIdempotent} forever.
   */
  staleAfterMs?: number;
}

export interface CompleteIdempotentOptions {
  /** The response is replayed until `now + retainMs`; afterwards the key is new again. @default 86400000 (24 h) */
  retainMs?: number;
}

/**
 * Where batches, tasks, records and the credit journal live. Every method is atomic on its own:
 * adapters implement each with one transaction (SQLite `BEGIN IMMEDIATE`), one Lua script (Redis)
 * or one synchronous step (memory). The services never do read-modify-write across two calls
 * where money or task state is involved.
 *
 * Failure contract (shared by all adapters and checked by the conformance suite):
 * - a debit larger than the balance throws `InsufficientCreditsError` and writes nothing;
 * - an idempotency key reused with another amount, kind or fingerprint throws `ConflictError`
 *   (reason `idempotency_mismatch`);
 * - creating a batch or record whose id exists throws `ConflictError` (reason `id_taken`).
 */
export interface StorageAdapter {
  /** A short name for logs and benchmarks (`memory`, `sqlite`, `redis`). */
  readonly name: string;

  // ---- credits ----
  /** Appends one journal entry and moves the balance with it, or replays the entry with that key. */
  applyLedgerEntry(input: LedgerEntryInput, now: number): Promise<LedgerWriteResult>;
  /** The current balance (0 for an unknown user). */
  getBalance(username: string): Promise<number>;
  /** The entry with that idempotency key, if any. */
  getLedgerEntry(username: string, idempotencyKey: string): Promise<LedgerEntry | null>;
  /** Journal entries, newest first. */
  listLedger(username: string, page: PageRequest): Promise<Page<LedgerEntry>>;

  // ---- batches and tasks ----
  /**
   * Charges and creates the batch in one step. When the charge's key was applied before, nothing
   * is written and the batch it paid for is returned with `replayed: true`.
   */
  createBatch(batch: BatchRecord, charge: LedgerEntryInput, now: number): Promise<LedgerWriteResult & { batch: BatchRecord }>;
  getBatch(batchId: string): Promise<BatchRecord | null>;
  getTask(batchId: string, index: number): Promise<BatchTask | null>;
  /** A user's batches, newest first. */
  listBatches(username: string, page: PageRequest): Promise<Page<BatchSummary>>;
  /**
   * Compare-and-set: moves the task to `processing`, bumps `attempts`, sets progress 10, and (first
   * claim only) moves the batch from `pending` to `processing`. Null when the task is not as expected.
   */
  claimTask(batchId: string, index: number, claim: TaskClaim): Promise<BatchTask | null>;
  /**
   * Raises progress (never lowers it), records the provider's request id and extends the lease,
   * when the task is still `processing` with this `attempts`. False when it is not.
   */
  updateTaskProgress(
    batchId: string,
    index: number,
    attempts: number,
    update: { progress: number; providerRequestId?: string | null; leaseExpiresAt?: number; now: number },
  ): Promise<boolean>;
  /** Compare-and-set `processing`/`attempts` → `completed`, bumping the batch counters once. */
  completeTask(batchId: string, index: number, attempts: number, result: TaskResult, now: number): Promise<TaskEndResult | null>;
  /** Compare-and-set `processing`/`attempts` → `failed`, keeping the progress, bumping the counters once. */
  failTask(batchId: string, index: number, attempts: number, error: string, now: number): Promise<TaskEndResult | null>;
  /**
   * Charges and moves a `failed` task back to `pending` in one step (progress 0, result and error
   * cleared, provider request id cleared, `failedTasks` down by one, batch `processing`). Replays
   * when the charge key was applied before. Throws `ConflictError` (reason `task_not_failed`) when
   * the task is not failed and the key is new.
   */
  retryTask(batchId: string, index: number, charge: LedgerEntryInput, now: number): Promise<LedgerWriteResult & { task: BatchTask }>;
  /** Tasks that are `pending` or `processing`, oldest batch first, for recovery after a restart. */
  listOpenTasks(limit: number): Promise<OpenTaskRef[]>;

  // ---- single generations ----
  /** Stores a record; throws `ConflictError` (`id_taken`) when the id exists. */
  createRecord(record: GenerationRecord): Promise<void>;
  getRecord(recordId: string): Promise<GenerationRecord | null>;
  /** A user's records, newest first. */
  listRecords(username: string, page: PageRequest): Promise<Page<GenerationRecord>>;

  // ---- idempotent requests ----
  /**
   * Claims an idempotency key for a request: `new` the first time (the key is now `pending`, begun
   * at `now`), otherwise the stored state. Keys are scoped by the caller (e.g. `user:key`). A key
   * whose response expired, or (with `staleAfterMs`) a pending key begun that long ago, counts as
   * absent: of concurrent callers exactly one gets `new`.
   */
  beginIdempotent(key: string, fingerprint: string, now: number, options?: BeginIdempotentOptions): Promise<IdempotencyState>;
  /**
   * Stores the response of a request that began with {@link beginIdempotent}, replayed until
   * `now + retainMs`. Storage may drop it any time after that.
   */
  completeIdempotent(key: string, response: unknown, now: number, options?: CompleteIdempotentOptions): Promise<void>;
  /** Forgets a pending key (the request failed before doing anything), so it can be tried again. */
  abandonIdempotent(key: string): Promise<void>;

  // ---- pending single generations (crash recovery) ----
  /**
   * Writes (or overwrites) the marker of a generation about to be charged. Idempotent: putting the
   * same marker twice leaves one.
   */
  putPendingGeneration(pending: PendingGeneration): Promise<void>;
  /** Removes the marker with that record id; removing an absent marker does nothing. */
  deletePendingGeneration(recordId: string): Promise<void>;
  /**
   * Markers whose `startedAt` is strictly before `startedBefore`, oldest first (ties by record id),
   * at most `limit` of them.
   */
  listPendingGenerations(startedBefore: number, limit: number): Promise<PendingGeneration[]>;

  /** Releases connections. The adapter is unusable afterwards. */
  close(): Promise<void>;
}
