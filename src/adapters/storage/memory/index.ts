import { InsufficientCreditsError } from '../../../core/errors/insufficient-credits-error.js';
import type {
  LedgerEntryInput,
  LedgerWriteResult,
  OpenTaskRef,
  Page,
  PendingGeneration,
  PageRequest,
  StorageAdapter,
  TaskClaim,
  TaskEndResult,
} from '../../../core/ports/storage-adapter.js';
import type { BatchRecord, BatchSummary, BatchTask, GenerationRecord, LedgerEntry, TaskResult } from '../../../core/schemas/records.js';
import {
  assertSameEntry,
  copyBatch,
  copyTask,
  idTaken,
  numericCursor,
  pageLimit,
  retainOf,
  staleAfterOf,
  summaryOf,
  taskNotFailed,
} from '../../../core/storage-kit/index.js';

/** A claimed idempotency key: pending since `startedAt`, or done and replayed until `expiresAt`. */
type StoredIdempotency =
  | { state: 'pending'; fingerprint: string; startedAt: number }
  | { state: 'done'; fingerprint: string; response: unknown; expiresAt: number };

/** Expired responses are swept from memory at most this often (of the callers' clock). */
const SWEEP_EVERY_MS = 60_000;

interface UserState {
  balance: number;
  entries: LedgerEntry[];
  /** Batch ids in creation order (ids carry unique per-user timestamps). */
  batchIds: string[];
  recordIds: string[];
}

/**
 * Storage in this process's memory. Every method runs synchronously between two awaits, so each
 * is atomic with respect to every other call in this process; nothing is shared across processes
 * and nothing survives a restart. For tests, demos and single-process hosts that keep nothing.
 */
export function createMemoryStorage(): StorageAdapter {
  const users = new Map<string, UserState>();
  const entriesByKey = new Map<string, { entry: LedgerEntry; fingerprint: string | null }>();
  const batches = new Map<string, BatchRecord>();
  /** Batches with at least one open task, in creation order. */
  const openBatches = new Set<string>();
  const records = new Map<string, GenerationRecord>();
  const idempotent = new Map<string, StoredIdempotency>();
  /** Markers of single generations in flight, by record id (few: one per running generation). */
  const pendingGenerations = new Map<string, PendingGeneration>();
  let nextSweepAt = -Infinity;

  const user = (username: string): UserState => {
    let state = users.get(username);
    if (!state) {
      state = { balance: 0, entries: [], batchIds: [], recordIds: [] };
      users.set(username, state);
    }
    return state;
  };
  const ledgerKey = (username: string, key: string) => `${username}\u0000${key}`;

  /** Validates and applies an entry synchronously; returns the replay when the key exists. */
  function applyEntry(input: LedgerEntryInput, now: number): LedgerWriteResult {
    const existing = entriesByKey.get(ledgerKey(input.username, input.idempotencyKey));
    const state = user(input.username);
    if (existing) {
      assertSameEntry(existing.entry, existing.fingerprint, input);
      return { entry: { ...existing.entry }, balance: state.balance, replayed: true };
    }
    checkEntry(input, state);
    return writeEntry(input, state, now);
  }

  function checkEntry(input: LedgerEntryInput, state: UserState): void {
    if (input.amount < 0 && state.balance + input.amount < 0) {
      throw new InsufficientCreditsError(-input.amount, state.balance);
    }
  }

  function writeEntry(input: LedgerEntryInput, state: UserState, now: number): LedgerWriteResult {
    state.balance += input.amount;
    const entry: LedgerEntry = {
      seq: state.entries.length + 1,
      username: input.username,
      kind: input.kind,
      amount: input.amount,
      balanceAfter: state.balance,
      idempotencyKey: input.idempotencyKey,
      reference: input.reference ?? null,
      reason: input.reason ?? null,
      createdAt: now,
    };
    state.entries.push(entry);
    entriesByKey.set(ledgerKey(input.username, input.idempotencyKey), { entry, fingerprint: input.fingerprint ?? null });
    return { entry: { ...entry }, balance: state.balance, replayed: false };
  }

  function pageNewestFirst<T>(ids: string[], order: (id: string) => number, get: (id: string) => T, page: PageRequest): Page<T> {
    const limit = pageLimit(page.limit);
    const before = numericCursor(page.cursor);
    const items: T[] = [];
    let lastOrder: number | null = null;
    for (let i = ids.length - 1; i >= 0 && items.length < limit + 1; i--) {
      const o = order(ids[i]!);
      if (before !== null && o >= before) continue;
      if (items.length === limit) {
        return { items, nextCursor: String(lastOrder) };
      }
      items.push(get(ids[i]!));
      lastOrder = o;
    }
    return { items, nextCursor: null };
  }

  function openTask(batchId: string, index: number): { batch: BatchRecord; task: BatchTask } | null {
    const batch = batches.get(batchId);
    const task = batch?.tasks[index];
    return batch && task ? { batch, task } : null;
  }

  function endTask(
    batchId: string,
    index: number,
    attempts: number,
    now: number,
    apply: (task: BatchTask, batch: BatchRecord) => void,
  ): TaskEndResult | null {
    const found = openTask(batchId, index);
    if (found?.task.status !== 'processing' || found.task.attempts !== attempts) return null;
    const { batch, task } = found;
    apply(task, batch);
    task.completedAt = now;
    task.leaseExpiresAt = null;
    batch.updatedAt = now;
    const batchCompleted = batch.completedTasks + batch.failedTasks === batch.totalTasks;
    if (batchCompleted) {
      batch.status = 'completed';
      openBatches.delete(batchId);
    }
    return { task: copyTask(task), batch: summaryOf(batch), batchCompleted };
  }

  return {
    name: 'memory',

    async applyLedgerEntry(input, now) {
      return applyEntry(input, now);
    },
    async getBalance(username) {
      return users.get(username)?.balance ?? 0;
    },
    async getLedgerEntry(username, idempotencyKey) {
      const found = entriesByKey.get(ledgerKey(username, idempotencyKey));
      return found ? { ...found.entry } : null;
    },
    async listLedger(username, page) {
      const entries = users.get(username)?.entries ?? [];
      const limit = pageLimit(page.limit);
      const before = numericCursor(page.cursor) ?? entries.length + 1;
      const start = Math.min(before - 1, entries.length);
      const items = entries
        .slice(Math.max(0, start - limit), start)
        .reverse()
        .map((e) => ({ ...e }));
      const last = items.at(-1);
      return { items, nextCursor: last && last.seq > 1 ? String(last.seq) : null };
    },

    async createBatch(batch, charge, now) {
      const existing = entriesByKey.get(ledgerKey(charge.username, charge.idempotencyKey));
      if (existing) {
        assertSameEntry(existing.entry, existing.fingerprint, charge);
        const paidFor = batches.get(existing.entry.reference ?? '');
        if (!paidFor) throw idTaken(existing.entry.reference ?? charge.idempotencyKey);
        return { entry: { ...existing.entry }, balance: user(charge.username).balance, replayed: true, batch: copyBatch(paidFor) };
      }
      if (batches.has(batch.batchId)) throw idTaken(batch.batchId);
      const state = user(charge.username);
      checkEntry(charge, state);
      const written = writeEntry({ ...charge, reference: batch.batchId }, state, now);
      const stored = copyBatch(batch);
      batches.set(batch.batchId, stored);
      openBatches.add(batch.batchId);
      const ids = user(batch.username).batchIds;
      ids.push(batch.batchId);
      if (ids.length > 1 && batches.get(ids.at(-2)!)!.createdAt > batch.createdAt) {
        ids.sort((a, b) => batches.get(a)!.createdAt - batches.get(b)!.createdAt);
      }
      return { ...written, batch: copyBatch(stored) };
    },
    async getBatch(batchId) {
      const batch = batches.get(batchId);
      return batch ? copyBatch(batch) : null;
    },
    async getTask(batchId, index) {
      const task = batches.get(batchId)?.tasks[index];
      return task ? copyTask(task) : null;
    },
    async listBatches(username, page) {
      const ids = users.get(username)?.batchIds ?? [];
      return pageNewestFirst<BatchSummary>(
        ids,
        (id) => batches.get(id)!.createdAt,
        (id) => summaryOf(batches.get(id)!),
        page,
      );
    },
    async claimTask(batchId, index, claim: TaskClaim) {
      const found = openTask(batchId, index);
      if (!found) return null;
      const { batch, task } = found;
      const expect = claim.expect;
      if (task.status !== expect.status) return null;
      if (expect.status === 'processing' && task.attempts !== expect.attempts) return null;
      task.status = 'processing';
      task.attempts += 1;
      task.progress = Math.max(task.progress, 10);
      task.startedAt = claim.now;
      task.leaseExpiresAt = claim.leaseExpiresAt;
      if (batch.status === 'pending') batch.status = 'processing';
      batch.updatedAt = claim.now;
      return copyTask(task);
    },
    async updateTaskProgress(batchId, index, attempts, update) {
      const found = openTask(batchId, index);
      if (found?.task.status !== 'processing' || found.task.attempts !== attempts) return false;
      const { task, batch } = found;
      if (update.progress > task.progress) task.progress = Math.min(update.progress, 99);
      if (update.providerRequestId !== undefined) task.providerRequestId = update.providerRequestId;
      if (update.leaseExpiresAt !== undefined) task.leaseExpiresAt = update.leaseExpiresAt;
      batch.updatedAt = update.now;
      return true;
    },
    async completeTask(batchId, index, attempts, result: TaskResult, now) {
      return endTask(batchId, index, attempts, now, (task, batch) => {
        task.status = 'completed';
        task.progress = 100;
        task.result = { ...result };
        task.error = null;
        batch.completedTasks += 1;
      });
    },
    async failTask(batchId, index, attempts, error, now) {
      return endTask(batchId, index, attempts, now, (task, batch) => {
        task.status = 'failed';
        task.error = error;
        batch.failedTasks += 1;
      });
    },
    async retryTask(batchId, index, charge, now) {
      const existing = entriesByKey.get(ledgerKey(charge.username, charge.idempotencyKey));
      const found = openTask(batchId, index);
      if (existing) {
        assertSameEntry(existing.entry, existing.fingerprint, charge);
        return {
          entry: { ...existing.entry },
          balance: user(charge.username).balance,
          replayed: true,
          task: copyTask(found!.task),
        };
      }
      if (!found) throw taskNotFailed(`${batchId}:${index}`, 'missing');
      const { batch, task } = found;
      if (task.status !== 'failed') throw taskNotFailed(task.taskId, task.status);
      const state = user(charge.username);
      checkEntry(charge, state);
      const written = writeEntry({ ...charge, reference: task.taskId }, state, now);
      task.status = 'pending';
      task.progress = 0;
      task.result = null;
      task.error = null;
      task.providerRequestId = null;
      task.leaseExpiresAt = null;
      task.completedAt = null;
      batch.failedTasks -= 1;
      batch.status = 'processing';
      batch.updatedAt = now;
      openBatches.add(batchId);
      return { ...written, task: copyTask(task) };
    },
    async listOpenTasks(limit) {
      const out: OpenTaskRef[] = [];
      for (const batchId of openBatches) {
        const batch = batches.get(batchId)!;
        for (const [index, task] of batch.tasks.entries()) {
          if (task.status !== 'pending' && task.status !== 'processing') continue;
          out.push({
            batchId,
            username: batch.username,
            index,
            status: task.status,
            attempts: task.attempts,
            leaseExpiresAt: task.leaseExpiresAt,
          });
          if (out.length >= limit) return out;
        }
      }
      return out;
    },

    async createRecord(record) {
      if (records.has(record.recordId)) throw idTaken(record.recordId);
      records.set(record.recordId, { ...record });
      const ids = user(record.username).recordIds;
      ids.push(record.recordId);
      if (ids.length > 1 && records.get(ids.at(-2)!)!.createdAt > record.createdAt) {
        ids.sort((a, b) => records.get(a)!.createdAt - records.get(b)!.createdAt);
      }
    },
    async getRecord(recordId) {
      const record = records.get(recordId);
      return record ? { ...record } : null;
    },
    async listRecords(username, page) {
      const ids = users.get(username)?.recordIds ?? [];
      return pageNewestFirst(
        ids,
        (id) => records.get(id)!.createdAt,
        (id) => ({ ...records.get(id)! }),
        page,
      );
    },

    async beginIdempotent(key, fingerprint, now, options) {
      const staleAfterMs = staleAfterOf(options);
      if (now >= nextSweepAt) {
        nextSweepAt = now + SWEEP_EVERY_MS;
        for (const [k, stored] of idempotent) if (stored.state === 'done' && stored.expiresAt <= now) idempotent.delete(k);
      }
      const stored = idempotent.get(key);
      const live =
        stored && (stored.state === 'done' ? stored.expiresAt > now : staleAfterMs === null || stored.startedAt + staleAfterMs > now);
      if (live) {
        return stored.state === 'done'
          ? { state: 'done', fingerprint: stored.fingerprint, response: stored.response }
          : { state: 'pending', fingerprint: stored.fingerprint };
      }
      idempotent.set(key, { state: 'pending', fingerprint, startedAt: now });
      return { state: 'new' };
    },
    async completeIdempotent(key, response, now, options) {
      const expiresAt = now + retainOf(options);
      const stored = idempotent.get(key);
      if (stored) idempotent.set(key, { state: 'done', fingerprint: stored.fingerprint, response, expiresAt });
    },
    async abandonIdempotent(key) {
      if (idempotent.get(key)?.state === 'pending') idempotent.delete(key);
    },

    async putPendingGeneration(pending) {
      pendingGenerations.set(pending.recordId, { ...pending });
    },
    async deletePendingGeneration(recordId) {
      pendingGenerations.delete(recordId);
    },
    async listPendingGenerations(startedBefore, limit) {
      return [...pendingGenerations.values()]
        .filter((p) => p.startedAt < startedBefore)
        .sort((a, b) => a.startedAt - b.startedAt || (a.recordId < b.recordId ? -1 : a.recordId > b.recordId ? 1 : 0))
        .slice(0, Math.max(0, Math.floor(limit)))
        .map((p) => ({ ...p }));
    },

    async close() {},
  };
}
