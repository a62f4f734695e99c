import type { PendingGeneration, PendingGenerationStore } from '../../../core/ports/storage-adapter.js';
import type { RedisContext } from './context.js';

/** Markers of single generations in flight: two keys of the `{pending}` slot, always changed together in one MULTI. */
export function redisPendingGenerations({ client, keys }: RedisContext): PendingGenerationStore {
  return {
    async putPendingGeneration(pending) {
      const marker = { username: pending.username, chargeKey: pending.chargeKey, startedAt: pending.startedAt };
      await client
        .multi()
        .hset(keys.pendingMarkers, pending.recordId, JSON.stringify(marker))
        .zadd(keys.pendingByStart, pending.startedAt, pending.recordId)
        .exec();
    },
    async deletePendingGeneration(recordId) {
      await client.multi().zrem(keys.pendingByStart, recordId).hdel(keys.pendingMarkers, recordId).exec();
    },
    async listPendingGenerations(startedBefore, limit) {
      const count = Math.max(0, Math.floor(limit));
      if (count === 0) return [];
      // Members with equal scores come back in lexical order: oldest first, ties by record id.
      const ids = await client.zrange(keys.pendingByStart, '-inf', `(${startedBefore}`, 'BYSCORE', 'LIMIT', 0, count);
      if (ids.length === 0) return [];
      const raws = await client.hmget(keys.pendingMarkers, ...ids);
      const out: PendingGeneration[] = [];
      ids.forEach((recordId, i) => {
        const raw = raws[i];
        // Deleted between the two reads: skip it.
        if (raw == null) return;
        const marker = JSON.parse(raw) as Omit<PendingGeneration, 'recordId'>;
        out.push({ recordId, username: marker.username, chargeKey: marker.chargeKey, startedAt: marker.startedAt });
      });
      return out;
    },
  };
}
