import type { LedgerStore } from '../../../core/ports/storage-adapter.js';
import type { LedgerEntry } from '../../../core/schemas/records.js';
import { listedGrants, numericCursor, pageLimit } from '../../../core/storage-kit/index.js';
import { decodeEntry, encodeEntryRequest } from './codec.js';
import { decodeGrants, results } from './grants.js';
import { fail, ledgerKeys, type RedisContext, written } from './context.js';
import { Code, SCRIPTS } from './scripts/index.js';

/** The credit journal: a balance, a list of entries and a hash of their keys per user. */
export function redisLedger({ client, keys, call }: RedisContext): LedgerStore {
  const journalKeys = (username: string) => {
    const u = keys.user(username);
    return [...ledgerKeys(keys, username), u.grants, u.grantDraws];
  };
  /** Writes the expiries due at `now` and answers the balance after, in one script. */
  const settle = async (username: string, now: number) => Number(await call<number>(SCRIPTS.settleGrants, journalKeys(username), [now]));
  return {
    async applyLedgerEntry(input, now) {
      const reply = await call(SCRIPTS.applyLedgerEntry, journalKeys(input.username), [encodeEntryRequest(input, now)]);
      if (reply[0] !== Code.written && reply[0] !== Code.replayed) fail(reply, input, input.idempotencyKey);
      return written(input.username, reply);
    },
    getBalance: (username, now = Date.now()) => settle(username, now),
    async getLedgerEntry(username, idempotencyKey) {
      const u = keys.user(username);
      const seq = await client.hget(u.journalKeys, idempotencyKey);
      if (seq === null) return null;
      const raw = await client.lindex(u.journal, Number(seq) - 1);
      return raw === null ? null : decodeEntry(username, Number(seq), raw);
    },
    async listLedger(username, page, now = Date.now()) {
      await settle(username, now);
      const u = keys.user(username);
      const limit = pageLimit(page.limit);
      const before = numericCursor(page.cursor) ?? (await client.llen(u.journal)) + 1;
      const end = Math.max(0, before - 1);
      const start = Math.max(0, end - limit);
      if (end === 0) return { items: [], nextCursor: null };
      const raws = await client.lrange(u.journal, start, end - 1);
      const items: LedgerEntry[] = raws.map((raw, i) => decodeEntry(username, start + i + 1, raw)).reverse();
      const last = items.at(-1);
      return { items, nextCursor: last && last.seq > 1 ? String(last.seq) : null };
    },
    async listGrants(username, now = Date.now()) {
      const u = keys.user(username);
      const [balance, raw] = await client.multi().get(u.balance).hgetall(u.grants).exec().then(results);
      return listedGrants({ balance: Number(balance ?? 0), lastSeq: 0, grants: decodeGrants(raw as Record<string, string>) }, now);
    },
  };
}
