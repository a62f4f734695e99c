import type { RecordStore } from '../../../core/ports/storage-adapter.js';
import type { GenerationRecord } from '../../../core/schemas/records.js';
import { assertRecordOwner, idTaken } from '../../../core/storage-kit/index.js';
import { pageNewestFirst } from './paging.js';
import { type MemoryState, userOf } from './state.js';

/** Generation records in memory, listed per user through the shared user state. */
export function memoryRecords(state: MemoryState): RecordStore {
  const records = new Map<string, GenerationRecord>();
  return {
    async createRecord(record) {
      assertRecordOwner(record);
      if (records.has(record.recordId)) throw idTaken(record.recordId);
      records.set(record.recordId, { ...record });
      const ids = userOf(state, record.username).recordIds;
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
      const ids = state.users.get(username)?.recordIds ?? [];
      return pageNewestFirst(
        ids,
        (id) => records.get(id)!.createdAt,
        (id) => ({ ...records.get(id)! }),
        page,
      );
    },
  };
}
