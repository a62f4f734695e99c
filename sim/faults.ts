/** An injected storage failure: the caller cannot tell whether the write committed. */
export class SimFault extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimFault';
  }
}

/** What happens to one storage call. */
export type FaultChoice = 'none' | 'throw-before' | 'throw-after' | 'crash-before' | 'crash-after';

/** How often each fault happens in one run (per storage call, or per step for crashes). */
export interface FaultRates {
  throwBefore: number;
  throwAfter: number;
  crashBefore: number;
  crashAfter: number;
  /** At most this many crashes per run (each followed by a new engine). */
  maxCrashes: number;
}

/** Storage calls that write: only these can commit and then fail. */
export const WRITES = new Set<string>([
  'applyLedgerEntry',
  'createBatch',
  'claimTask',
  'updateTaskProgress',
  'completeTask',
  'failTask',
  'retryTask',
  'cancelTasks',
  'createRecord',
  'beginIdempotent',
  'completeIdempotent',
  'abandonIdempotent',
  'putPendingGeneration',
  'deletePendingGeneration',
]);

/** Every method of the storage port (besides `name` and `close`). */
export const STORAGE_METHODS = [
  ...WRITES,
  'getBalance',
  'getLedgerEntry',
  'listLedger',
  'listGrants',
  'getBatch',
  'getTask',
  'listBatches',
  'listOpenTasks',
  'getRecord',
  'listRecords',
  'listPendingGenerations',
  'listFailedTasks',
] as const;
