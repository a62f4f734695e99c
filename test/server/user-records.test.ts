import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createServerApp } from '../../examples/server/app.js';
import type { UserRecords } from '../../examples/server/users/records.js';
import { openPostgresUserRecords } from '../../examples/server/users/postgres.js';
import { openRedisUserRecords } from '../../examples/server/users/redis.js';
import { openSqliteUserRecords } from '../../examples/server/users/sqlite.js';
import { createOfflineProvider } from '../../src/adapters/providers/offline/index.js';
import { createSqliteStorage } from '../../src/adapters/storage/sqlite/index.js';
import { DATABASE_URL, dropSchema, postgresAvailable, uniqueSchema } from '../storage/postgres-server.js';
import { deleteKeys, REDIS_URL, redisAvailable, uniquePrefix } from '../storage/redis-server.js';

const dir = mkdtempSync(join(tmpdir(), 'igk-user-records-'));
const [pgUp, redisUp] = await Promise.all([postgresAvailable(), redisAvailable()]);
const schema = uniqueSchema('users');
const prefix = uniquePrefix('users');
const pool = pgUp ? new pg.Pool({ connectionString: DATABASE_URL, max: 8 }) : null;
const redis = redisUp ? new Redis(REDIS_URL) : null;

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await pool?.end();
  if (pgUp) await dropSchema(schema);
  if (redis) {
    await deleteKeys(redis, prefix);
    redis.disconnect();
  }
});

const user = (username: string) => ({ username, salt: randomBytes(16), hash: randomBytes(32), createdAt: Date.now() });

const stores: Array<[string, boolean, () => Promise<UserRecords>]> = [
  [
    'SQLite (a table in the engine file)',
    true,
    async () => {
      const path = join(dir, 'imagegen.sqlite');
      await createSqliteStorage({ path }).close(); // the engine's tables first, as the server opens them
      return openSqliteUserRecords(path);
    },
  ],
  ['PostgreSQL (a table in the engine schema)', pgUp, () => openPostgresUserRecords(pool!, schema)],
  ['Redis (hashes under the engine prefix)', redisUp, async () => openRedisUserRecords(redis!, prefix)],
];

describe.each(stores)('users store on %s', (_name, available, open) => {
  it.runIf(available)('creating one user concurrently yields one user, the first one written; a second open migrates nothing', async () => {
    const [a, b] = await Promise.all([open(), open()]);
    const candidates = Array.from({ length: 8 }, () => user('zoe'));
    const results = await Promise.all(candidates.map((c, i) => (i % 2 ? a : b).createUser(c)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const winner = results.find((r) => r.created)!.user;
    for (const r of results) expect(r.user.salt.equals(winner.salt) && r.user.hash.equals(winner.hash)).toBe(true);
    expect((await a.findUser('zoe'))?.hash.equals(winner.hash)).toBe(true);
    expect(await a.findUser('nobody')).toBeNull();
    await Promise.all([a.close(), b.close()]);
  });

  it.runIf(available)('keeps tokens by their hash: found until deleted, never once expired', async () => {
    const store = await open();
    await store.createUser(user('yuri'));
    const now = Date.now();
    await store.addToken({ tokenHash: 'a'.repeat(64), username: 'yuri', createdAt: now, expiresAt: null });
    await store.addToken({ tokenHash: 'b'.repeat(64), username: 'yuri', createdAt: now, expiresAt: now + 60_000 });
    expect(await store.findToken('a'.repeat(64), now)).toEqual({ username: 'yuri' });
    expect(await store.findToken('b'.repeat(64), now)).toEqual({ username: 'yuri' });
    expect(await store.findToken('b'.repeat(64), now + 60_000)).toBeNull();
    expect(await store.findToken('c'.repeat(64), now)).toBeNull();
    await store.deleteToken('a'.repeat(64));
    expect(await store.findToken('a'.repeat(64), now)).toBeNull();
    await store.close();
  });
});

describe.each(stores)('sessions and sign-in counters on %s', (_name, available, open) => {
  const policy = { freeAttempts: 2, baseDelayMs: 1000, maxDelayMs: 4000, forgetAfterMs: 60_000 };

  it.runIf(available)('a renewal slides the expiry when due, and only then', async () => {
    const store = await open();
    await store.createUser(user('sam'));
    const t0 = Date.now();
    await store.addToken({ tokenHash: 'd'.repeat(64), username: 'sam', createdAt: t0, expiresAt: t0 + 10_000 });
    // Not due (last used at t0, not before it): no write, so it still expires at t0 + 10 s.
    expect(await store.findToken('d'.repeat(64), t0 + 5000, { expiresAt: t0 + 99_000, ifUsedBefore: t0 })).toEqual({ username: 'sam' });
    expect(await store.findToken('d'.repeat(64), t0 + 10_000)).toBeNull();
    await store.addToken({ tokenHash: 'e'.repeat(64), username: 'sam', createdAt: t0, expiresAt: t0 + 10_000 });
    expect(await store.findToken('e'.repeat(64), t0 + 9000, { expiresAt: t0 + 19_000, ifUsedBefore: t0 + 8000 })).toEqual({
      username: 'sam',
    });
    expect(await store.findToken('e'.repeat(64), t0 + 18_000)).toEqual({ username: 'sam' });
    expect(await store.findToken('e'.repeat(64), t0 + 19_000)).toBeNull();
    // An expired token is not brought back by a renewal.
    expect(await store.findToken('e'.repeat(64), t0 + 19_000, { expiresAt: t0 + 99_000, ifUsedBefore: t0 + 19_000 })).toBeNull();
    await store.close();
  });

  it.runIf(available)(
    "revoking a user's tokens leaves other users' alone; a password change is compare-and-set and keeps one new token",
    async () => {
      const store = await open();
      const tina = user('tina');
      await store.createUser(tina);
      await store.createUser(user('uma'));
      const now = Date.now();
      const token = (c: string, username: string) => ({ tokenHash: c.repeat(64), username, createdAt: now, expiresAt: now + 60_000 });
      for (const c of ['1', '2']) await store.addToken(token(c, 'tina'));
      await store.addToken(token('3', 'uma'));
      expect(await store.deleteUserTokens('tina')).toBe(2);
      expect(await store.findToken('1'.repeat(64), now)).toBeNull();
      expect(await store.findToken('2'.repeat(64), now)).toBeNull();
      expect(await store.findToken('3'.repeat(64), now)).toEqual({ username: 'uma' });

      for (const c of ['4', '5']) await store.addToken(token(c, 'tina'));
      const next = { salt: randomBytes(16), hash: randomBytes(32) };
      const stale = { username: 'tina', expectedHash: randomBytes(32), ...next, token: token('6', 'tina') };
      expect(await store.changePassword(stale)).toBe(false);
      expect((await store.findUser('tina'))!.hash.equals(tina.hash)).toBe(true);
      expect(await store.findToken('4'.repeat(64), now)).toEqual({ username: 'tina' });
      expect(await store.findToken('6'.repeat(64), now)).toBeNull();

      expect(await store.changePassword({ ...stale, expectedHash: tina.hash })).toBe(true);
      expect((await store.findUser('tina'))!.hash.equals(next.hash)).toBe(true);
      expect(await store.findToken('4'.repeat(64), now)).toBeNull();
      expect(await store.findToken('5'.repeat(64), now)).toBeNull();
      expect(await store.findToken('6'.repeat(64), now)).toEqual({ username: 'tina' });
      expect(await store.findToken('3'.repeat(64), now)).toEqual({ username: 'uma' });
      expect(await store.deleteUserTokens('tina')).toBe(1);
      await store.close();
    },
  );

  it.runIf(available)('takeAttempt backs off exponentially up to the cap, refunds, clears and forgets', async () => {
    const store = await open();
    const key = `fail:user:${randomBytes(4).toString('hex')}`;
    let t = Date.now();
    expect(await store.takeAttempt(key, t, policy)).toBe(0);
    expect(await store.takeAttempt(key, t, policy)).toBe(0); // the 2nd: blocks the next for 1 s
    expect(await store.takeAttempt(key, t + 400, policy)).toBe(600);
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      t += 10_000;
      expect(await store.takeAttempt(key, t, policy)).toBe(0);
      waits.push(await store.takeAttempt(key, t, policy));
    }
    expect(waits).toEqual([2000, 4000, 4000, 4000]);
    // A refund lowers the count (keeping the block), so the next delay is shorter.
    for (let i = 0; i < 4; i++) await store.refundAttempt(key); // 6 counted, 2 left
    t += 10_000;
    expect(await store.takeAttempt(key, t, policy)).toBe(0);
    expect(await store.takeAttempt(key, t, policy)).toBe(2000);
    await store.clearAttempts(key);
    expect(await store.takeAttempt(key, t, policy)).toBe(0);
    expect(await store.takeAttempt(key, t, policy)).toBe(0);
    expect(await store.takeAttempt(key, t, policy)).toBe(1000);
    // Idle for forgetAfterMs: starts over.
    t += 60_000;
    expect(await store.takeAttempt(key, t, policy)).toBe(0);
    expect(await store.takeAttempt(key, t, policy)).toBe(0);
    expect(await store.takeAttempt(key, t, policy)).toBe(1000);
    await store.close();
  });

  it.runIf(available)('concurrent attempts and hits are each counted once (atomic)', async () => {
    const [a, b] = await Promise.all([open(), open()]);
    const key = `fail:addr:${randomBytes(4).toString('hex')}`;
    const now = Date.now();
    const waits = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).takeAttempt(key, now, policy)));
    expect(waits.filter((w) => w === 0)).toHaveLength(2);
    const counter = `signup:addr:${randomBytes(4).toString('hex')}`;
    const hits = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).hitCounter(counter, now, 60_000)));
    expect(hits.map((h) => h.count).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(new Set(hits.map((h) => h.resetAt))).toEqual(new Set([now + 60_000]));
    // A fixed window: a hit at its end opens a new one.
    expect(await a.hitCounter(counter, now + 59_999, 60_000)).toEqual({ count: 11, resetAt: now + 60_000 });
    expect(await a.hitCounter(counter, now + 60_000, 60_000)).toEqual({ count: 1, resetAt: now + 120_000 });
    await Promise.all([a.close(), b.close()]);
  });
});

describe('reference server sign-in on SQLite', () => {
  it('a first sign-in sent twice at once makes one user and grants the starting credits once', async () => {
    const server = await createServerApp({ dataDir: join(dir, 'server'), provider: createOfflineProvider({ size: 32 }) });
    const signIn = () =>
      server.app.request('/auth/sign-in', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'twins', password: 'same password' }),
      });
    const answers = await Promise.all([signIn(), signIn(), signIn()]);
    const bodies = (await Promise.all(answers.map((a) => a.json()))) as Array<{ token: string; created: boolean }>;
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(bodies.filter((b) => b.created)).toHaveLength(1);
    expect(await server.engine.credits.balance('twins')).toBe(20);
    await server.close();
  });
});
