import { ConflictError } from '../errors/conflict-error.js';
import { RateLimitedError } from '../errors/rate-limited-error.js';
import { isDefaultTerms, termsOf } from '../policy/grants.js';
import type { LedgerEntryInput } from '../ports/storage-adapter.js';
import type { LedgerEntry } from '../schemas/records.js';

/**
 * Checks that a replayed idempotency key asks for the same entry. Adapters call it with the stored
 * entry and its fingerprint before replaying.
 */
export function assertSameEntry(stored: LedgerEntry, storedFingerprint: string | null, input: LedgerEntryInput): void {
  if (stored.kind !== input.kind || stored.amount !== input.amount || (storedFingerprint ?? null) !== fingerprintOf(input)) {
    throw new ConflictError('idempotency_mismatch', `Idempotency key "${input.idempotencyKey}" was already used for a different request`);
  }
}

/**
 * The fingerprint adapters store with an entry: the caller's, with a grant's terms appended when
 * they are not the defaults, so a grant key replayed with other terms is a conflict too.
 */
export function fingerprintOf(input: LedgerEntryInput): string | null {
  if (input.kind !== 'grant' || isDefaultTerms(input.grant)) return input.fingerprint ?? null;
  const t = termsOf(input.grant);
  return `${input.fingerprint ?? ''}\ngrant:${t.kind}:${t.priority}:${t.expiresAt ?? ''}`;
}

export function idTaken(id: string): ConflictError {
  return new ConflictError('id_taken', `Id already exists: ${id}`, { id });
}

export function taskNotFailed(taskId: string, status: string): ConflictError {
  return new ConflictError('task_not_failed', `Only a failed task can be retried; task ${taskId} is ${status}`, {
    task_id: taskId,
    status,
  });
}

/**
 * The refusal of a batch over `maxTasksWaiting`, or null when it fits: `waiting` tasks of the
 * owner are `pending` or `processing`, `adding` is the new batch's size.
 */
export function tooManyTasksWaiting(waiting: number, adding: number, max: number | undefined): RateLimitedError | null {
  if (max === undefined || waiting + adding <= max) return null;
  return new RateLimitedError(
    `Too many of your tasks are waiting: ${waiting} queued or running and ${adding} more asked for, ${max} at most; wait for some to finish, then try again`,
    10,
  );
}
