import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createServerApp } from '../../examples/server/app.js';
import { createJsonLogger } from '../../examples/server/json-logger.js';
import { createOfflineProvider } from '../../src/adapters/providers/offline/index.js';
import { parseExposition, total } from './prometheus-text.js';

const dir = mkdtempSync(join(tmpdir(), 'igk-metrics-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('GET /metrics on the reference server', () => {
  it('scraped before and after a batch of 4 (one failing): task counters move by 4, the duration histogram counts 4 tasks', async () => {
    const server = await createServerApp({
      dataDir: join(dir, 'app'),
      provider: createOfflineProvider({
        size: 16,
        latencyMs: 30,
        failWhen: (input) => (input.prompt.includes('cursed') ? { reason: 'provider_error', message: 'refused' } : null),
      }),
      startingCredits: 10,
      logger: createJsonLogger({ write: () => {} }),
    });
    try {
      const scrape = async () => {
        const response = await server.app.request('/metrics');
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
        return response.text();
      };
      const signIn = await server.app.request('/auth/sign-in', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'mia', password: 'a good password' }),
      });
      const { token } = (await signIn.json()) as { token: string };
      const before = parseExposition(await scrape());

      const submitted = await server.app.request('/api/batch/generate', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ prompts: ['a fox', 'a cursed fox', 'an owl', 'a whale'] }),
      });
      expect(submitted.status).toBe(200);
      const { batch_id: batchId } = (await submitted.json()) as { batch_id: string };
      await server.engine.batches.waitFor('mia', batchId, { signal: AbortSignal.timeout(15_000) });
      await server.engine.onIdle();
      const text = await scrape();
      if (process.env.IGK_PRINT_METRICS) console.log(text);
      const after = parseExposition(text);

      const moved = (name: string, where: Record<string, string> = {}) => total(after, name, where) - total(before, name, where);
      expect(moved('imagegen_tasks_enqueued_total')).toBe(4);
      expect(moved('imagegen_tasks_ended_total')).toBe(4);
      expect(moved('imagegen_tasks_ended_total', { imagegen_outcome: 'completed' })).toBe(3);
      expect(moved('imagegen_tasks_ended_total', { imagegen_outcome: 'failed' })).toBe(1);
      expect(moved('imagegen_task_duration_count')).toBe(4);
      expect(moved('imagegen_task_duration_count', { imagegen_provider: 'offline', imagegen_outcome: 'completed' })).toBe(3);
      // The histogram's +Inf bucket holds every task; its sum is a positive number of seconds.
      expect(moved('imagegen_task_duration_bucket', { le: '+Inf' })).toBe(4);
      expect(moved('imagegen_task_duration_sum')).toBeGreaterThan(0);
      // Provider calls: at least one submit per task.
      expect(moved('imagegen_provider_duration_count', { imagegen_provider_operation: 'submit' })).toBeGreaterThanOrEqual(4);
      // The 10 starting credits are a grant; the batch charged 4.
      expect(moved('imagegen_credits_charged_total')).toBe(4);
      // Gauges: nothing waits or runs once the batch is done.
      expect(total(after, 'imagegen_tasks_waiting')).toBe(0);
      expect(total(after, 'imagegen_tasks_running')).toBe(0);
    } finally {
      await server.close({ graceMs: 0 });
    }
  }, 30_000);

  it('IMAGEGEN_METRICS=0 turns it off: /metrics is a 404 and the engine has no telemetry', async () => {
    const saved = process.env.IMAGEGEN_METRICS;
    process.env.IMAGEGEN_METRICS = '0';
    const server = await createServerApp({
      dataDir: join(dir, 'off'),
      provider: createOfflineProvider({ size: 16 }),
      logger: createJsonLogger({ write: () => {} }),
    }).finally(() => {
      if (saved === undefined) delete process.env.IMAGEGEN_METRICS;
      else process.env.IMAGEGEN_METRICS = saved;
    });
    try {
      expect((await server.app.request('/metrics')).status).toBe(404);
      expect(server.engine.telemetry).toBeUndefined();
    } finally {
      await server.close({ graceMs: 0 });
    }
  });
});
