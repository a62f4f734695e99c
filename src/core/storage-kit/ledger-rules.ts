import { ConflictError } from '../errors/conflict-error.js';
import type { LedgerEntryInput } from '../ports/storage-adapter.js';
import type { LedgerEntry } from '../schemas/records.js';

/**
 * Checks that a replayed idempotency key asks for the same entry. Adapters call it with the stored
 * entry and its fingerprint before replaying.
 */
export function assertSameEntry(stored: LedgerEntry, storedFingerprint: string | null, input: LedgerEntryInput): void {
  if (stored.kind !== input.kind || stored.amount !== input.amount || (storedFingerprint ?? null) !== (input.fingerprint ?? null)) {
    throw new ConflictError('idempotency_mismatch', `Idempotency key "${input.idempotencyKey}" was already used for a different request`);
  }
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
