import type { Cluster, Redis } from 'ioredis';
import type { AdminQueryStore, FailedTaskRef } from '../../../core/ports/storage-adapter.js';
import { pageLimit } from '../../../core/storage-kit/index.js';
import { decodeTask } from './codec.js';
import type { RedisContext } from './context.js';
import type { Keys } from './keys.js';

/**
 * The index of failed tasks: one sorted set of every user's (`{failed}`, a slot of its own, as
 * `{open}`), member `{batchId}|{index}|{attempts}` scored by the failure time. A user's batch hash
 * lives in the user's slot, so the index cannot be written in the failing script; it is written
 * just before it instead ({@link noteFailure}), which leaves a harmless extra entry when the fail
 * does not happen (or the process dies between the two), never a missing one. Readers check each
 * entry against the task and drop the ones that can no longer be true (the task was retried, taken
 * over or completed). Failures stored before this index existed are not listed.
 */
const failedKey = (keys: Keys) => `${keys.prefix}{failed}:tasks`;
const memberOf = (batchId: string, index: number, attempts: number) => `${batchId}|${index}|${attempts}`;

/** Notes in the index that this claim of the task is failing; `failTask` calls it before its script. */
export async function noteFailure(client: Redis | Cluster, keys: Keys, batchId: string, index: number, attempts: number, now: number) {
  await client.zadd(failedKey(keys), now, memberOf(batchId, index, attempts));
}

interface Entry {
  member: string;
  score: number;
  batchId: string;
  index: number;
  attempts: number;
}

function parseEntry(member: string, score: string): Entry | null {
  const match = /^(.+)\|(\d+)\|(\d+)$/s.exec(member);
  return match ? { member, score: Number(score), batchId: match[1]!, index: Number(match[2]), attempts: Number(match[3]) } : null;
}

/** Cursor `{score}|{member}`: the last entry a page returned. */
function parseCursor(cursor: string | null | undefined): { score: number; member: string } | null {
  const match = /^(\d{1,16})\|(.+)$/s.exec(cursor ?? '');
  return match ? { score: Number(match[1]), member: match[2]! } : null;
}

const CHUNK = 100;

/** Operator queries on Redis: the failed-task list reads the `{failed}` index a chunk at a time. */
export function redisAdminQueries({ client, keys }: RedisContext): AdminQueryStore {
  return {
    async listFailedTasks(page) {
      const limit = pageLimit(page.limit);
      const from = parseCursor(page.cursor);
      const found: Array<{ ref: FailedTaskRef; member: string }> = [];
      const stale: string[] = [];
      for (let offset = 0; found.length <= limit; offset += CHUNK) {
        const raw = await client.zrevrangebyscore(
          failedKey(keys),
          from ? from.score : '+inf',
          '-inf',
          'WITHSCORES',
          'LIMIT',
          offset,
          CHUNK,
        );
        if (raw.length === 0) break;
        const entries: Entry[] = [];
        for (let i = 0; i < raw.length; i += 2) {
          const entry = parseEntry(raw[i]!, raw[i + 1]!);
          if (!entry) stale.push(raw[i]!);
          // Same score: members come in descending order, and the ones at or above the cursor were on earlier pages.
          else if (!from || entry.score < from.score || entry.member < from.member) entries.push(entry);
        }
        const pipe = client.pipeline();
        for (const e of entries) {
          const k = keys.batch(e.batchId);
          pipe.hmget(k?.key ?? `${keys.prefix}missing`, `p${e.index}`, `t${e.index}`);
        }
        const replies = entries.length > 0 ? ((await pipe.exec()) ?? []) : [];
        replies.forEach(([error, fields], j) => {
          if (error) throw error;
          const e = entries[j]!;
          const [fixed, state] = fields as [string | null, string | null];
          const task = fixed && state && keys.batch(e.batchId) ? decodeTask(e.batchId, e.index, fixed, state) : null;
          const sameClaim = task?.attempts === e.attempts;
          if (sameClaim && task.status === 'failed') {
            if (found.length <= limit) {
              const ref = { batchId: e.batchId, username: keys.batch(e.batchId)!.username, index: e.index };
              found.push({ ref: { ...ref, attempts: e.attempts, error: task.error, failedAt: e.score }, member: e.member });
            }
          } else if (!(sameClaim && task.status === 'processing')) {
            // Retried, taken over, completed or gone: this claim can never be failed again. A
            // `processing` one with the same claim may be failing right now, so it stays.
            stale.push(e.member);
          }
        });
        if (raw.length < CHUNK * 2) break;
      }
      if (stale.length > 0) await client.zrem(failedKey(keys), ...stale);
      const items = found.slice(0, limit);
      const last = found[limit - 1];
      return { items: items.map((f) => f.ref), nextCursor: found.length > limit && last ? `${last.ref.failedAt}|${last.member}` : null };
    },
  };
}
