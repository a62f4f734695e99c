import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { journalSum } from '../../src/adapter-kit/index.js';
import { startChild } from './children.js';
import { openStorage, type StorageKind } from './processes/open-storage.js';
import { dropSchema, postgresAvailable, uniqueSchema } from './postgres-server.js';

const dir = mkdtempSync(join(tmpdir(), 'igk-restart-'));
const postgresUp = await postgresAvailable();
const schema = uniqueSchema('restart');
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (postgresUp) await dropSchema(schema);
});

function restartSuite(kind: StorageKind, target: string): void {
  describe(`an engine on ${kind} killed in the middle of a batch`, () => {
    it('finishes every task after a restart: none left processing, none charged twice', async () => {
      const user = 'restarter';
      const first = startChild('./processes/engine-worker.ts', [kind, target, 'submit', user, '3']);
      const ids = JSON.parse((await first.waitFor((l) => l.startsWith('submitted '), 30_000)).slice('submitted '.length)) as string[];
      await first.waitFor((l) => l.startsWith('completed '), 30_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      first.process.kill('SIGKILL');
      expect(await first.exited).toBe('SIGKILL');

      const storage = await openStorage(kind, target);
      const beforeRestart = (await Promise.all(ids.map((id) => storage.getBatch(id)))).flatMap((b) => b!.tasks);
      const finishedBefore = beforeRestart.filter((t) => t.status === 'completed').length;
      expect(finishedBefore).toBeGreaterThan(0);
      expect(finishedBefore).toBeLessThan(30);
      expect(beforeRestart.some((t) => t.status === 'processing')).toBe(true);

      const second = startChild('./processes/engine-worker.ts', [kind, target, 'resume']);
      const idle = JSON.parse((await second.waitFor((l) => l.startsWith('idle '), 60_000)).slice('idle '.length)) as { recovered: number };
      expect(await second.exited).toBe(0);
      expect(idle.recovered).toBe(30 - finishedBefore);

      const after = await Promise.all(ids.map((id) => storage.getBatch(id)));
      for (const batch of after) expect(batch).toMatchObject({ status: 'completed', completedTasks: 10, failedTasks: 0 });
      const tasks = after.flatMap((b) => b!.tasks);
      expect(tasks.filter((t) => t.status !== 'completed')).toEqual([]);
      expect(tasks.every((t) => t.result !== null && t.progress === 100)).toBe(true);
      expect(await storage.listOpenTasks(1000)).toEqual([]);
      // One grant and one charge per batch: nothing was charged again on restart.
      const journal = await storage.listLedger(user, { limit: 100 });
      expect(journal.items.map((e) => e.kind).sort()).toEqual(['charge', 'charge', 'charge', 'grant']);
      expect(await storage.getBalance(user)).toBe(0);
      expect((await journalSum(storage, user)).sum).toBe(0);
      await storage.close();
    }, 120_000);
  });
}

restartSuite('sqlite', join(dir, 'engine.db'));
describe.runIf(postgresUp)('postgres', () => restartSuite('postgres', schema));
