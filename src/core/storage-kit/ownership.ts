import { ValidationError } from '../errors/validation-error.js';
import { parseBatchId, parseRecordId } from '../ids.js';
import type { LedgerEntryInput } from '../ports/storage-adapter.js';
import type { BatchRecord, GenerationRecord } from '../schemas/records.js';

/** The owner named by a batch id; throws `ValidationError` when the id is not `batch:{username}:{timestamp}`. */
function batchOwner(batchId: string): string {
  const parsed = parseBatchId(batchId);
  if (!parsed) throw new ValidationError('batchId', 'must be batch:{username}:{timestamp}');
  return parsed.username;
}

/** A new batch's id, the batch and its charge must name one user. */
export function assertBatchOwner(batch: BatchRecord, charge: LedgerEntryInput): void {
  if (batchOwner(batch.batchId) !== batch.username || charge.username !== batch.username) {
    throw new ValidationError('username', 'the batch id, the batch and the charge must name the same user');
  }
}

/** A retry's charge must be paid by the user the batch id names. */
export function assertRetryOwner(batchId: string, charge: LedgerEntryInput): void {
  if (batchOwner(batchId) !== charge.username) throw new ValidationError('username', 'the batch id and the charge must name the same user');
}

/** A record's id must be `record:{username}:{timestamp}` of the record's own user. */
export function assertRecordOwner(record: GenerationRecord): void {
  const parsed = parseRecordId(record.recordId);
  if (!parsed) throw new ValidationError('recordId', 'must be record:{username}:{timestamp}');
  if (parsed.username !== record.username) throw new ValidationError('username', 'the record id and the record must name the same user');
}
