import type { LedgerEntryInput, StorageAdapter } from '../../core/ports/storage-adapter.js';
import type { BatchRecord, BatchTask } from '../../core/schemas/records.js';
import { PROGRESS } from '../../core/policy/progress.js';

/** What every conformance topic receives: a fresh adapter and a unique user-name factory. */
export interface ConformanceContext {
  storage: StorageAdapter;
  /** A user name no other test in this run uses. */
  user(label?: string): string;
}

export type AdapterFactory = () => Promise<{ storage: StorageAdapter; cleanup?: () => Promise<void> }>;

let clock = 1_700_000_000_000;
/** A strictly increasing fake timestamp. */
export const tick = (): number => ++clock;

export function makeBatch(username: string, timestamp: number, prompts: string[] = ['a', 'b', 'c']): BatchRecord {
  const batchId = `batch:${username}:${timestamp}`;
  return {
    batchId,
    username,
    tasks: prompts.map(
      (prompt, index): BatchTask => ({
        taskId: `${batchId}:${index}`,
        prompt,
        params: { aspect_ratio: '1:1', seed: index, output_format: 'png' },
        status: 'pending',
        progress: 0,
        result: null,
        error: null,
        createdAt: timestamp,
        attempts: 0,
        startedAt: null,
        completedAt: null,
        providerRequestId: null,
        leaseExpiresAt: null,
      }),
    ),
    totalTasks: prompts.length,
    completedTasks: 0,
    failedTasks: 0,
    cancelledTasks: 0,
    status: 'pending',
    createdAt: timestamp,
    updatedAt: timestamp,
  };
}

export function charge(username: string, amount: number, idempotencyKey: string, extra: Partial<LedgerEntryInput> = {}): LedgerEntryInput {
  return { username, kind: 'charge', amount: -amount, idempotencyKey, ...extra };
}

export function grant(username: string, amount: number, idempotencyKey: string): LedgerEntryInput {
  return { username, kind: 'grant', amount, idempotencyKey };
}

/** Sum of a user's whole journal, read page by page. */
export async function journalSum(storage: StorageAdapter, username: string): Promise<{ sum: number; count: number }> {
  let sum = 0;
  let count = 0;
  let cursor: string | null = null;
  do {
    const page = await storage.listLedger(username, { limit: 100, cursor });
    for (const entry of page.items) {
      sum += entry.amount;
      count++;
    }
    cursor = page.nextCursor;
  } while (cursor);
  return { sum, count };
}

/** Creates a batch for `username` after granting enough credits; returns it. */
export async function seededBatch(storage: StorageAdapter, username: string, prompts?: string[]): Promise<BatchRecord> {
  const ts = tick();
  const batch = makeBatch(username, ts, prompts);
  await storage.applyLedgerEntry(grant(username, batch.totalTasks, `seed-grant-${ts}`), ts);
  const created = await storage.createBatch(batch, charge(username, batch.totalTasks, `seed-charge-${ts}`), ts);
  return created.batch;
}

/** Claims a pending task; fails the test when the claim does not succeed. */
export async function claimPending(storage: StorageAdapter, batchId: string, index: number): Promise<BatchTask> {
  const now = tick();
  const task = await storage.claimTask(batchId, index, {
    expect: { status: 'pending' },
    now,
    leaseExpiresAt: now + 60_000,
    progress: PROGRESS.received,
  });
  if (!task) throw new Error(`claim of ${batchId}:${index} failed`);
  return task;
}
