import { type GrantTerms, isDefaultTerms, termsOf } from '../../../core/policy/grants.js';
import type { LedgerEntryInput } from '../../../core/ports/storage-adapter.js';
import { fingerprintOf } from '../../../core/storage-kit/ledger-rules.js';
import type {
  BatchRecord,
  BatchSummary,
  BatchTask,
  BatchStatus,
  LedgerEntry,
  LedgerKind,
  TaskStatus,
} from '../../../core/schemas/records.js';

/**
 * Compact forms stored in Redis. A task is two hash fields of its batch (and `k{i}`, the key of its
 * last retry's charge, once retried; the batch's own charge key is `ck`): `p{i}` the fixed part
 * `[prompt, params, createdAt]`, written once, and `t{i}` the state
 * `[status, progress, attempts, startedAt, completedAt, leaseExpiresAt, providerRequestId, error, result]`
 * that the scripts compare-and-set. Batch counters are fields `n c f s ca ua` and `x`
 * (cancelled tasks; absent in batches written before cancel existed, read as 0).
 */
type TaskState = [
  TaskStatus,
  number,
  number,
  number | null,
  number | null,
  number | null,
  string | null,
  string | null,
  BatchTask['result'],
];
type TaskFixed = [string, BatchTask['params'], number];

export const encodeFixed = (task: BatchTask): string => JSON.stringify([task.prompt, task.params, task.createdAt] satisfies TaskFixed);

export const encodeState = (task: BatchTask): string =>
  JSON.stringify([
    task.status,
    task.progress,
    task.attempts,
    task.startedAt,
    task.completedAt,
    task.leaseExpiresAt,
    task.providerRequestId,
    task.error,
    task.result,
  ] satisfies TaskState);

export function decodeTask(batchId: string, index: number, fixed: string, state: string): BatchTask {
  const [prompt, params, createdAt] = JSON.parse(fixed) as TaskFixed;
  const [status, progress, attempts, startedAt, completedAt, leaseExpiresAt, providerRequestId, error, result] = JSON.parse(
    state,
  ) as TaskState;
  return {
    taskId: `${batchId}:${index}`,
    prompt,
    params,
    status,
    progress,
    result: result ?? null,
    error: error ?? null,
    createdAt,
    attempts,
    startedAt: startedAt ?? null,
    completedAt: completedAt ?? null,
    providerRequestId: providerRequestId ?? null,
    leaseExpiresAt: leaseExpiresAt ?? null,
  };
}

/** Field/value pairs of a new batch hash. */
export function encodeBatch(batch: BatchRecord): string[] {
  const fields = [
    'n',
    String(batch.totalTasks),
    'c',
    String(batch.completedTasks),
    'f',
    String(batch.failedTasks),
    's',
    batch.status,
    'ca',
    String(batch.createdAt),
    'ua',
    String(batch.updatedAt),
    'x',
    String(batch.cancelledTasks),
  ];
  for (const [i, task] of batch.tasks.entries()) fields.push(`p${i}`, encodeFixed(task), `t${i}`, encodeState(task));
  return fields;
}

/** A summary from the fields `n c f s ca ua x`, in that order. */
export function decodeSummary(batchId: string, f: Array<string | null | undefined>): BatchSummary {
  const [n, c, fl, s, ca, ua, x] = f;
  return {
    batchId,
    totalTasks: Number(n),
    completedTasks: Number(c),
    failedTasks: Number(fl),
    cancelledTasks: Number(x ?? 0),
    status: s as BatchStatus,
    createdAt: Number(ca),
    updatedAt: Number(ua),
  };
}

export function decodeBatch(batchId: string, username: string, hash: Record<string, string>): BatchRecord {
  const summary = decodeSummary(batchId, [hash.n!, hash.c!, hash.f!, hash.s!, hash.ca!, hash.ua!, hash.x]);
  const tasks: BatchTask[] = [];
  for (let i = 0; i < summary.totalTasks; i++) tasks.push(decodeTask(batchId, i, hash[`p${i}`]!, hash[`t${i}`]!));
  return { ...summary, username, tasks };
}

/** The request form the ledger Lua reads: `[kind, amount, key, reference, reason, fingerprint, createdAt, grant terms, charge key]`. */
export const encodeEntryRequest = (input: LedgerEntryInput, now: number): string =>
  JSON.stringify([
    input.kind,
    input.amount,
    input.idempotencyKey,
    input.reference ?? null,
    input.reason ?? null,
    fingerprintOf(input),
    now,
    isDefaultTerms(input.grant) ? null : grantTermsOf(input.grant),
    input.chargeKey ?? null,
  ]);

/** A grant's terms as the scripts take them: `[kind, priority, expiresAt or -1]`. */
const grantTermsOf = (terms: GrantTerms | undefined) => {
  const t = termsOf(terms);
  return [t.kind, t.priority, t.expiresAt ?? -1];
};

/** A stored entry `[kind, amount, balanceAfter, key, reference, reason, createdAt, fingerprint]`. */
export function decodeEntry(username: string, seq: number, raw: string): LedgerEntry {
  const [kind, amount, balanceAfter, idempotencyKey, reference, reason, createdAt] = JSON.parse(raw) as [
    LedgerKind,
    number,
    number,
    string,
    string | null,
    string | null,
    number,
  ];
  return { seq, username, kind, amount, balanceAfter, idempotencyKey, reference: reference ?? null, reason: reason ?? null, createdAt };
}
