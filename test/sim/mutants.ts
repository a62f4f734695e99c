import { memoryAdminQueries } from '../../src/adapters/storage/memory/admin-queries.js';
import { memoryBatches } from '../../src/adapters/storage/memory/batches.js';
import { memoryCancelTasks } from '../../src/adapters/storage/memory/cancel-tasks.js';
import { memoryIdempotency } from '../../src/adapters/storage/memory/idempotency.js';
import { memoryLedger } from '../../src/adapters/storage/memory/ledger.js';
import { memoryPendingGenerations } from '../../src/adapters/storage/memory/pending-generations.js';
import { memoryRecords } from '../../src/adapters/storage/memory/records.js';
import { createMemoryState, type MemoryState } from '../../src/adapters/storage/memory/state.js';
import { InsufficientCreditsError } from '../../src/core/errors/insufficient-credits-error.js';
import type { LedgerEntryInput, StorageAdapter } from '../../src/core/ports/storage-adapter.js';
import { summaryOf } from '../../src/core/storage-kit/index.js';

/**
 * Storage wrappers that each break one rule the engine relies on, and the invariant the simulator
 * must name when it meets one. They prove the simulator finds such bugs (test/sim/mutants.test.ts).
 */
export interface Mutant {
  name: string;
  /** The invariant that catches it. */
  invariant: string;
  wrap(storage: StorageAdapter): StorageAdapter;
}

/** A memory storage whose state the mutant can reach (the adapter's own modules over one state). */
function memoryWithState(): { storage: StorageAdapter; state: MemoryState } {
  const state = createMemoryState();
  const storage: StorageAdapter = {
    name: 'memory',
    ...memoryLedger(state),
    ...memoryBatches(state),
    ...memoryCancelTasks(state),
    ...memoryRecords(state),
    ...memoryIdempotency(),
    ...memoryPendingGenerations(),
    ...memoryAdminQueries(state),
    async close() {},
  };
  return { storage, state };
}

/** `completeTask` without its compare-and-set on the status: a task that already ended (cancelled, failed, completed) completes again. */
const skipEndCompareAndSet: Mutant = {
  name: 'completeTask skips its compare-and-set',
  invariant: 'taskEndsOnce',
  wrap() {
    const { storage, state } = memoryWithState();
    return {
      ...storage,
      async completeTask(batchId, index, attempts, completion, now) {
        const ended = await storage.completeTask(batchId, index, attempts, completion, now);
        if (ended) return ended;
        const batch = state.batches.get(batchId);
        const task = batch?.tasks[index];
        if (!batch || !task || task.status === 'processing' || task.status === 'pending') return null;
        task.status = 'completed';
        task.result = { ...completion.result };
        task.progress = completion.progress;
        task.completedAt = now;
        batch.completedTasks += 1;
        return { task: { ...task }, batch: summaryOf(batch), batchCompleted: false };
      },
    };
  },
};

/** Every refund is written twice (under a second key), the cancel refunds too. */
const refundTwice: Mutant = {
  name: 'refunds are applied twice',
  invariant: 'refundAtMostOnce',
  wrap(storage) {
    const again = (input: LedgerEntryInput, now: number) =>
      storage.applyLedgerEntry({ ...input, idempotencyKey: `${input.idempotencyKey}:again` }, now);
    return {
      ...storage,
      async applyLedgerEntry(input, now) {
        const result = await storage.applyLedgerEntry(input, now);
        if (input.kind === 'refund' && !result.replayed) await again(input, now);
        return result;
      },
      async cancelTasks(batchId, cancellation) {
        const result = await storage.cancelTasks(batchId, cancellation);
        for (const c of result?.cancelled ?? []) {
          const r = c.refund;
          if (r)
            await again(
              { username: r.username, kind: 'refund', amount: r.amount, idempotencyKey: r.idempotencyKey, reference: r.reference },
              cancellation.now,
            );
        }
        return result;
      },
    };
  },
};

/**
 * A charge larger than the balance goes through: the shortfall is lent by a hidden grant, which
 * the journal and the balance leave out, so the books show the balance going below zero.
 */
const chargeBelowZero: Mutant = {
  name: 'a charge may overdraw the balance',
  invariant: 'balanceNeverNegative',
  wrap(storage) {
    const hidden = new Map<string, number>();
    let loans = 0;
    async function overdraw<T>(username: string, now: number, write: () => Promise<T>): Promise<T> {
      try {
        return await write();
      } catch (error) {
        if (!(error instanceof InsufficientCreditsError)) throw error;
        const short = error.required - error.available;
        await storage.applyLedgerEntry({ username, kind: 'grant', amount: short, idempotencyKey: `mutant:loan:${loans++}` }, now);
        hidden.set(username, (hidden.get(username) ?? 0) + short);
        return write();
      }
    }
    return {
      ...storage,
      applyLedgerEntry: (input, now) => overdraw(input.username, now, () => storage.applyLedgerEntry(input, now)),
      createBatch: (batch, charge, now) => overdraw(charge.username, now, () => storage.createBatch(batch, charge, now)),
      retryTask: (batchId, index, retry, now) => overdraw(retry.charge.username, now, () => storage.retryTask(batchId, index, retry, now)),
      async getBalance(username, now) {
        return (await storage.getBalance(username, now)) - (hidden.get(username) ?? 0);
      },
      async listLedger(username, page, now) {
        const result = await storage.listLedger(username, page, now);
        return { ...result, items: result.items.filter((e) => !e.idempotencyKey.startsWith('mutant:loan:')) };
      },
    };
  },
};

/** The pending-generation marker is never written: a generation whose process dies is never settled. */
const dropPendingMarker: Mutant = {
  name: 'pending-generation markers are dropped',
  invariant: 'chargeEndsInRecordOrRefund',
  wrap(storage) {
    return { ...storage, async putPendingGeneration() {} };
  },
};

/** A run whose claim was taken over still ends the task: its end is applied to the new claim. */
const staleLeaseApplies: Mutant = {
  name: "a stale lease's result is applied",
  invariant: 'staleClaimNeverApplies',
  wrap(storage) {
    async function current(batchId: string, index: number, attempts: number): Promise<number | null> {
      const task = await storage.getTask(batchId, index);
      return task?.status === 'processing' && task.attempts !== attempts ? task.attempts : null;
    }
    return {
      ...storage,
      async completeTask(batchId, index, attempts, completion, now) {
        const ended = await storage.completeTask(batchId, index, attempts, completion, now);
        const other = ended ? null : await current(batchId, index, attempts);
        return other === null ? ended : storage.completeTask(batchId, index, other, completion, now);
      },
      async failTask(batchId, index, attempts, error, now, refund) {
        const ended = await storage.failTask(batchId, index, attempts, error, now, refund);
        const other = ended ? null : await current(batchId, index, attempts);
        return other === null ? ended : storage.failTask(batchId, index, other, error, now, refund);
      },
    };
  },
};

export const MUTANTS: Mutant[] = [skipEndCompareAndSet, refundTwice, chargeBelowZero, dropPendingMarker, staleLeaseApplies];
