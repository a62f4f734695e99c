import { ValidationError } from '../../../core/errors/validation-error.js';
import { parseBatchId, parseRecordId } from '../../../core/ids.js';

const USER_CACHE_SIZE = 1024;

/** The keys of one user, all under the hash tag `{username}`. */
export type UserKeys = Readonly<ReturnType<typeof userKeys>>;

function userKeys(base: string) {
  return {
    balance: `${base}bal`,
    journal: `${base}led`,
    journalKeys: `${base}lk`,
    grants: `${base}gr`,
    grantDraws: `${base}dr`,
    batches: `${base}bz`,
    openBatches: `${base}open`,
    records: `${base}rz`,
    batch: (member: string) => `${base}b:${member}`,
    record: (member: string) => `${base}r:${member}`,
  };
}

/**
 * Key names. Everything of one user shares the hash tag `{username}`, so every per-user script
 * touches one Redis Cluster slot; batch and record ids carry the username, so the tag follows from
 * the id alone. Only the recovery indexes live in their own slots: open batches (`{open}`) and
 * pending single generations (`{pending}`: a sorted set of record ids by start time and a hash of
 * the markers, written together with MULTI, so a marker is never half there).
 */
export class Keys {
  /** The key names of recently seen users: every task step needs them, and building them is most of its own CPU. */
  readonly #users = new Map<string, UserKeys>();
  constructor(readonly prefix: string) {
    if (/[{}]/.test(prefix)) throw new ValidationError('prefix', 'must not contain { or } (they would change the hash tag)');
  }
  user(username: string): UserKeys {
    let keys = this.#users.get(username);
    if (keys) return keys;
    if (this.#users.size >= USER_CACHE_SIZE) this.#users.clear();
    keys = userKeys(`${this.prefix}{${username}}:`);
    this.#users.set(username, keys);
    return keys;
  }
  /** The user, zset member and hash key of a batch id; null when the id is not `batch:{user}:{ts}`. */
  batch(batchId: string): { username: string; member: string; key: string } | null {
    const parsed = parseBatchId(batchId);
    if (!parsed) return null;
    const member = String(parsed.timestamp);
    return { username: parsed.username, member, key: this.user(parsed.username).batch(member) };
  }
  record(recordId: string): { username: string; member: string; key: string } | null {
    const parsed = parseRecordId(recordId);
    if (!parsed) return null;
    const member = String(parsed.timestamp);
    return { username: parsed.username, member, key: this.user(parsed.username).record(member) };
  }
  get openUsers(): string {
    return `${this.prefix}{open}:users`;
  }
  get openToken(): string {
    return `${this.prefix}{open}:token`;
  }
  /** Record ids of pending single generations, scored by `startedAt`. */
  get pendingByStart(): string {
    return `${this.prefix}{pending}:gens`;
  }
  /** Record id -> JSON of the pending generation's marker (same slot as {@link pendingByStart}). */
  get pendingMarkers(): string {
    return `${this.prefix}{pending}:gen`;
  }
  idempotency(key: string): string {
    return `${this.prefix}idem:${key}`;
  }
}
