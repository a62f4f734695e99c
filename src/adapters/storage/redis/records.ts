import { ValidationError } from '../../../core/errors/validation-error.js';
import type { RecordStore } from '../../../core/ports/storage-adapter.js';
import type { GenerationRecord } from '../../../core/schemas/records.js';
import { idTaken } from '../../../core/storage-kit/index.js';
import { newestFirstPage, type RedisContext } from './context.js';
import { Code, SCRIPTS } from './scripts/index.js';

/** Generation records: one JSON string each, indexed per user by a zset scored by creation time. */
export function redisRecords({ client, keys, call }: RedisContext): RecordStore {
  return {
    async createRecord(record: GenerationRecord) {
      const k = keys.record(record.recordId);
      if (!k) throw new ValidationError('recordId', 'must be record:{username}:{timestamp}');
      if (k.username !== record.username) throw new ValidationError('username', 'the record id and the record must name the same user');
      const reply = await call(
        SCRIPTS.createRecord,
        [k.key, keys.user(k.username).records],
        [JSON.stringify(record), record.createdAt, k.member],
      );
      if (reply[0] === Code.idTaken) throw idTaken(record.recordId);
    },
    async getRecord(recordId) {
      const k = keys.record(recordId);
      if (!k) return null;
      const raw = await client.get(k.key);
      return raw === null ? null : (JSON.parse(raw) as GenerationRecord);
    },
    async listRecords(username, page) {
      const u = keys.user(username);
      const { members: pageMembers, more } = await newestFirstPage(client, u.records, page);
      const raws = pageMembers.length ? await client.mget(...pageMembers.map((m) => u.record(m))) : [];
      const items = raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as GenerationRecord);
      return { items, nextCursor: more && items.length ? String(items.at(-1)!.createdAt) : null };
    },
  };
}
