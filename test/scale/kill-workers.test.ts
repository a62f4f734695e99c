import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { BatchRecord, LedgerEntry } from '../../src/core/schemas/records.js';
import { startChild, type Child } from '../storage/children.js';
import { deleteKeys, redisAvailable, uniquePrefix } from '../storage/redis-server.js';
import { clusterEngine, clusterNames, DISPATCHERS, redisOptions } from './redis-setup.js';

const redisUp = await redisAvailable();
const prefix = uniquePrefix('kill');
const BATCHES = 200;
const USERS = 10;
const KILLS = 5;

afterAll(async () => {
  if (!redisUp) return;
  const redis = new Redis(redisOptions());
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.runIf(redisUp).each(DISPATCHERS)('3 worker processes on the %s dispatcher, one killed with SIGKILL again and again', (kind) => {
  it('finishes 2,000 tasks: none stuck, none completed twice, the ledger balances; duplicate provider calls are counted', async () => {
    const names = clusterNames(`${prefix}${kind}:`);
    const statsPrefix = names.prefix;
    // Each user queues 200 tasks at once on purpose: the tasks-waiting ceiling is off.
    const api = clusterEngine(names, {
      role: 'api',
      dispatcher: { kind },
      engine: { maxTasksWaitingPerUser: Number.POSITIVE_INFINITY },
    });
    const children: Child[] = [];
    const spawn = async (slot: number) => {
      const child = startChild('../scale/processes/cluster-worker.ts', [names.prefix, `w${slot}`], { IGK_DISPATCHER: kind });
      children[slot] = child;
      await child.waitFor((l) => l.startsWith('ready'), 30_000);
    };
    try {
      await api.start();
      const relayedDone = new Map<string, number>();
      api.events.on('batch:completed', (e) => relayedDone.set(e.batchId, (relayedDone.get(e.batchId) ?? 0) + 1));
      let ended = 0;
      const completedEvents = new Map<string, number>();
      api.events.on('task:completed', (e) => {
        ended++;
        completedEvents.set(e.taskId, (completedEvents.get(e.taskId) ?? 0) + 1);
      });
      api.events.on('task:failed', () => ended++);
      await Promise.all([0, 1, 2].map(spawn));
      for (let u = 0; u < USERS; u++) await api.credits.grant(`k${u}`, 250, { idempotencyKey: 'grant' });

      const started = Date.now();
      const batches: BatchRecord[] = [];
      for (let b = 0; b < BATCHES; b++) {
        const prompts = Array.from({ length: 10 }, (_, i) => `task ${b}-${i}${(b * 10 + i) % 41 === 0 ? ' #fail' : ''}`);
        batches.push((await api.batches.submit(`k${b % USERS}`, { prompts })).batch);
      }

      // Kill worker 0 at random points of the run (by tasks ended so far), restarting it each time
      // and letting it take jobs for a random while before the next kill.
      const thresholds = Array.from({ length: KILLS }, () => Math.floor(BATCHES * 10 * (0.05 + Math.random() * 0.65))).sort(
        (a, b) => a - b,
      );
      let kills = 0;
      let midRunKills = 0;
      for (const threshold of thresholds) {
        while (ended < threshold) await sleep(20);
        if (kills > 0) await sleep(300 + Math.floor(Math.random() * 500));
        const victim = children[0]!;
        if (ended < BATCHES * 10) midRunKills++;
        victim.process.kill('SIGKILL');
        await victim.exited;
        if (process.env.IGK_DEBUG) {
          const open = await api.storage.listOpenTasks(10_000);
          console.log(`kill at ${ended}: open ${open.length}, processing ${open.filter((t) => t.status === 'processing').length}`);
        }
        kills++;
        await spawn(0);
      }

      const done = await Promise.all(batches.map((b) => api.batches.waitFor(b.username, b.batchId, { recheckMs: 1_000 })));
      const seconds = (Date.now() - started) / 1000;

      const tasks = done.flatMap((b) => b.tasks);
      const byStatus: Partial<Record<string, typeof tasks>> = {};
      for (const t of tasks) (byStatus[t.status] ??= []).push(t);
      expect(tasks).toHaveLength(BATCHES * 10);
      expect(byStatus.processing ?? []).toHaveLength(0);
      expect(byStatus.pending ?? []).toHaveLength(0);
      const failed = byStatus.failed ?? [];
      expect(failed.every((t) => t.prompt.includes('#fail'))).toBe(true);
      expect((byStatus.completed ?? []).length + failed.length).toBe(BATCHES * 10);
      for (const b of done) expect(b.completedTasks + b.failedTasks).toBe(10);

      // No task completed twice, seen three ways: the batch counters (bumped by each completing
      // transition) add up to exactly 10 per batch (above); no worker won a completion of the same
      // task twice (counted per process in Redis; a worker killed between the completion and its
      // count leaves it uncounted, hence at most); no completion event reached the API twice.
      const completions = Object.values(await api.redis.hgetall(`${statsPrefix}stats:completions`)).map(Number);
      expect(completions.filter((c) => c > 1)).toEqual([]);
      expect(completions.reduce((a, c) => a + c, 0)).toBeLessThanOrEqual((byStatus.completed ?? []).length);
      expect([...completedEvents.values()].filter((c) => c > 1)).toEqual([]);

      const submits = Object.values(await api.redis.hgetall(`${statsPrefix}stats:submits`)).map(Number);
      const duplicates = submits.reduce((a, c) => a + Math.max(0, c - 1), 0);
      expect(submits).toHaveLength(BATCHES * 10);

      let ledgerDifference = 0;
      for (let u = 0; u < USERS; u++) {
        const user = `k${u}`;
        const entries: LedgerEntry[] = [];
        let cursor: string | null = null;
        do {
          const page = await api.storage.listLedger(user, { limit: 100, cursor });
          entries.push(...page.items);
          cursor = page.nextCursor;
        } while (cursor);
        const sum = (kind: string) => entries.filter((e) => e.kind === kind).reduce((a, e) => a + Math.abs(e.amount), 0);
        const balance = await api.credits.balance(user);
        expect(sum('grant') - sum('charge') + sum('refund')).toBe(balance);
        expect(entries.reduce((a, e) => a + e.amount, 0)).toBe(balance);
        expect(balance).toBe(250 - (BATCHES / USERS) * 10);
        ledgerDifference += Math.abs(sum('grant') - sum('charge') + sum('refund') - balance);
      }
      expect([...relayedDone.values()].filter((n) => n > 1)).toEqual([]);
      expect(kills).toBe(KILLS);
      expect(midRunKills).toBeGreaterThanOrEqual(3);
      // The kills did hit running tasks: these were taken over from a dead worker.
      const takenOver = tasks.filter((t) => t.attempts > 1).length;
      expect(takenOver).toBeGreaterThan(0);

      console.log(
        `[kill test, ${kind}] ${midRunKills} kills mid-run (of ${kills}) of one of 3 workers, ${tasks.length} tasks in ${seconds.toFixed(1)} s ` +
          `(${byStatus.completed?.length ?? 0} completed, ${failed.length} failed as injected), none stuck, ${takenOver} taken over from a killed worker, ` +
          `max completions per task ${Math.max(...completions)}, duplicate provider submits ${duplicates}, ` +
          `ledger difference ${ledgerDifference}, batch:completed relayed to the API for ${relayedDone.size}/${BATCHES} batches`,
      );
    } finally {
      for (const c of children) if (c && c.process.exitCode === null) c.process.kill('SIGKILL');
      await api.stop({ graceMs: 0 });
      await api.queue.obliterate().catch(() => {});
      api.redis.disconnect();
    }
  }, 150_000);
});
