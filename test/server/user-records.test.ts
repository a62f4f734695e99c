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
