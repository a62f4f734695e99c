import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../../src/adapters/storage/memory/index.js';
import { createPostgresStorage } from '../../src/adapters/storage/postgres/index.js';
import { createRedisStorage } from '../../src/adapters/storage/redis/index.js';
import { createSqliteStorage } from '../../src/adapters/storage/sqlite/index.js';
import { InsufficientCreditsError } from '../../src/core/errors/insufficient-credits-error.js';
import type { StorageAdapter } from '../../src/core/ports/storage-adapter.js';
import { LedgerModel } from './ledger-model.js';
import { DATABASE_URL, dropSchema, postgresAvailable, uniqueSchema } from './postgres-server.js';
import { deleteKeys, REDIS_URL, redisAvailable, uniquePrefix } from './redis-server.js';

type Command =
  | { op: 'grant'; user: number; amount: number; kind: 'paid' | 'promo'; priority: number; expiresIn: number | null }
  | { op: 'charge'; user: number; amount: number }
  | { op: 'refund'; user: number; pick: number }
  | { op: 'replay'; user: number; pick: number }
  | { op: 'advance'; ms: number };

const USERS = 2;
const user = fc.integer({ min: 0, max: USERS - 1 });
const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    op: fc.constant('grant' as const),
    user,
    amount: fc.integer({ min: 1, max: 10 }),
    kind: fc.constantFrom('paid' as const, 'promo' as const),
    priority: fc.integer({ min: 0, max: 2 }),
    expiresIn: fc.option(fc.integer({ min: 1, max: 60 }), { nil: null }),
  }),
  fc.record({ op: fc.constant('charge' as const), user, amount: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant('refund' as const), user, pick: fc.nat() }),
  fc.record({ op: fc.constant('replay' as const), user, pick: fc.nat() }),
  fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 30 }) }),
);

let run = 0;

/** Runs the commands on the storage and on the model, comparing balance, grants and journal after each. */
async function check(storage: StorageAdapter, commands: Command[]): Promise<void> {
  const id = run++;
  const names = Array.from({ length: USERS }, (_, i) => `m${id}u${i}`);
  const models = names.map(() => new LedgerModel());
  const charges: string[][] = names.map(() => []);
  const applied: Array<Array<{ key: string; replay: () => Promise<unknown> }>> = names.map(() => []);
  let now = 1_000_000;
  for (const [n, c] of commands.entries()) {
    if (c.op === 'advance') {
      now += c.ms;
      continue;
    }
    const username = names[c.user]!;
    const model = models[c.user]!;
    const key = `k${n}`;
    if (c.op === 'grant') {
      const terms = { kind: c.kind, priority: c.priority, expiresAt: c.expiresIn === null ? null : now + c.expiresIn };
      const write = (at: number) =>
        storage.applyLedgerEntry({ username, kind: 'grant', amount: c.amount, idempotencyKey: key, grant: terms }, at);
      await write(now);
      model.grant(key, c.amount, terms, now);
      applied[c.user]!.push({ key, replay: () => write(now) });
    } else if (c.op === 'charge') {
      const write = (at: number) => storage.applyLedgerEntry({ username, kind: 'charge', amount: -c.amount, idempotencyKey: key }, at);
      const expected = model.charge(key, c.amount, now);
      const outcome = await write(now).then(
        () => 'ok',
        (error: unknown) => (error instanceof InsufficientCreditsError ? 'insufficient' : Promise.reject(error)),
      );
      expect(outcome, `charge ${c.amount} of ${username} at step ${n}`).toBe(expected);
      if (outcome === 'ok') {
        charges[c.user]!.push(key);
        applied[c.user]!.push({ key, replay: () => write(now) });
      }
    } else if (c.op === 'refund') {
      const list = charges[c.user]!;
      if (list.length === 0) continue;
      const chargeKey = list[c.pick % list.length]!;
      await storage.applyLedgerEntry(
        { username, kind: 'refund', amount: model.chargeAmount(chargeKey)!, idempotencyKey: `refund:${chargeKey}`, reference: chargeKey },
        now,
      );
      model.refund(chargeKey, now);
    } else {
      const list = applied[c.user]!;
      if (list.length === 0) continue;
      const result = (await list[c.pick % list.length]!.replay()) as { replayed: boolean };
      expect(result.replayed).toBe(true);
    }
    for (const [i, name] of names.entries()) {
      const m = models[i]!;
      const balance = await storage.getBalance(name, now);
      expect(balance, `balance of ${name} after step ${n} (${c.op})`).toBe(m.balance(now));
      const grants = await storage.listGrants(name, now);
      const tracked = Object.fromEntries(grants.filter((g) => g.id !== null).map((g) => [g.id, g.remaining]));
      expect(tracked, `grants of ${name} after step ${n}`).toEqual(Object.fromEntries([...m.grants].map(([k, g]) => [k, g.remaining])));
      expect(grants.find((g) => g.id === null)?.remaining ?? 0, `pool of ${name} after step ${n}`).toBe(m.pool);
      const journal = await storage.listLedger(name, { limit: 200 }, now);
      expect(journal.items.reduce((s, e) => s + e.amount, 0)).toBe(balance);
    }
  }
}

interface Target {
  name: string;
  runs: number;
  available: () => Promise<boolean>;
  open: () => Promise<{ storage: StorageAdapter; close: () => Promise<void> }>;
}

const targets: Target[] = [
  { name: 'memory', runs: 200, available: async () => true, open: async () => ({ storage: createMemoryStorage(), close: async () => {} }) },
  {
    name: 'sqlite',
    runs: 60,
    available: async () => true,
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'igk-ledger-model-'));
      const storage = createSqliteStorage({ path: join(dir, 'ledger.db') });
      return {
        storage,
        close: async () => {
          await storage.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'redis',
    runs: 40,
    available: () => redisAvailable(),
    open: async () => {
      const client = new Redis(REDIS_URL);
      const prefix = uniquePrefix('ledger-model');
      const storage = createRedisStorage({ client }, { prefix });
      return {
        storage,
        close: async () => {
          await deleteKeys(client, prefix);
          await storage.close();
          client.disconnect();
        },
      };
    },
  },
  {
    name: 'postgres',
    runs: 30,
    available: () => postgresAvailable(),
    open: async () => {
      const schema = uniqueSchema('ledger_model');
      const storage = await createPostgresStorage({ connectionString: DATABASE_URL, schema });
      return {
        storage,
        close: async () => {
          await storage.close();
          await dropSchema(schema);
        },
      };
    },
  },
];

for (const target of targets) {
  const available = await target.available();
  describe.runIf(available)(`ledger model on ${target.name}`, () => {
    let opened: Awaited<ReturnType<Target['open']>>;
    beforeAll(async () => {
      opened = await target.open();
    });
    afterAll(async () => {
      await opened?.close();
    });
    it('grants, charges, refunds and expiry agree with the reference model', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 30 }), (commands) => check(opened.storage, commands)),
        { numRuns: target.runs, seed: 16 },
      );
    }, 120_000);
  });
}
