import type { BatchRecord, LedgerEntry } from '../../../core/schemas/records.js';

/** What the memory adapter keeps per user. */
export interface UserState {
  balance: number;
  entries: LedgerEntry[];
  /** Batch ids in creation order (ids carry unique per-user timestamps). */
  batchIds: string[];
  /** The user's batches with at least one open task (the tasks-waiting ceiling counts theirs). */
  openBatchIds: Set<string>;
  recordIds: string[];
}

/** The maps the ledger and the batches share: a batch's charge is a ledger entry. */
export interface MemoryState {
  users: Map<string, UserState>;
  entriesByKey: Map<string, { entry: LedgerEntry; fingerprint: string | null }>;
  batches: Map<string, BatchRecord>;
  /** Batches with at least one open task, in creation order. */
  openBatches: Set<string>;
  /** The key of the charge that paid for each batch (by batch id) and for each retried task's last retry (by task id). */
  chargeKeys: Map<string, string>;
}

export function createMemoryState(): MemoryState {
  return { users: new Map(), entriesByKey: new Map(), batches: new Map(), openBatches: new Set(), chargeKeys: new Map() };
}

/** The user's state, created empty on first use. */
export function userOf(state: MemoryState, username: string): UserState {
  let user = state.users.get(username);
  if (!user) {
    user = { balance: 0, entries: [], batchIds: [], openBatchIds: new Set(), recordIds: [] };
    state.users.set(username, user);
  }
  return user;
}

/** Marks a batch open (it has a task to run), in the process-wide and the user's index. */
export function markOpen(state: MemoryState, batchId: string, username: string): void {
  state.openBatches.add(batchId);
  userOf(state, username).openBatchIds.add(batchId);
}

/** Marks a batch closed (every task ended). */
export function markClosed(state: MemoryState, batchId: string, username: string): void {
  state.openBatches.delete(batchId);
  state.users.get(username)?.openBatchIds.delete(batchId);
}

/** The key of the charge that paid for a task's current attempt (see `taskChargeKey`). */
export const chargeKeyOfTask = (state: MemoryState, batchId: string, taskId: string): string | null =>
  state.chargeKeys.get(taskId) ?? state.chargeKeys.get(batchId) ?? null;

export const ledgerKey = (username: string, key: string) => `${username}\u0000${key}`;
