import type { GenerationRecord } from '../../schemas/records.js';
import type { Page, PageRequest } from './types.js';

/** Records of single generations (text-to-image, image-to-image), written once. */
export interface RecordStore {
  /** Stores a record whose id is `record:{username}:{timestamp}` of its own user (else `ValidationError`); an id that exists throws `ConflictError` (`id_taken`). */
  createRecord(record: GenerationRecord): Promise<void>;
  /** The record field for field, or null for an id that does not exist. */
  getRecord(recordId: string): Promise<GenerationRecord | null>;
  /** The user's records, newest first, paged with the cursor it returns. */
  listRecords(username: string, page: PageRequest): Promise<Page<GenerationRecord>>;
}
