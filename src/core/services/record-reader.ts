import { NotFoundError } from '../errors/not-found-error.js';
import { assertUsername } from '../ids.js';
import type { Page, PageRequest, StorageAdapter } from '../ports/storage-adapter.js';
import type { GenerationRecord } from '../schemas/records.js';
import type { RecordReader } from '../ports/single-generation.js';

/** A user's text-to-image and image-to-image records, newest first; another user's read as missing. */
export class StorageRecordReader implements RecordReader {
  constructor(private readonly storage: StorageAdapter) {}

  list(username: string, page: PageRequest = {}): Promise<Page<GenerationRecord>> {
    assertUsername(username);
    return this.storage.listRecords(username, page);
  }

  async get(username: string, recordId: string): Promise<GenerationRecord> {
    assertUsername(username);
    const record = await this.storage.getRecord(recordId);
    if (!record || record.username !== username) throw new NotFoundError('Record', recordId);
    return record;
  }
}
