import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeRef } from '../../src/adapters/providers/provider-kit/request-ref.js';
import { createSqliteStorage } from '../../src/adapters/storage/sqlite/index.js';
import { startFakeBfl } from '../support/fake-bfl-server.js';

const CHILD = new URL('./fixtures/crash-child.ts', import.meta.url).pathname;
const children: ChildProcess[] = [];
afterEach(() => children.forEach((c) => c.kill('SIGKILL')));

function run(mode: 'submit' | 'resume', storagePath: string, baseUrl: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode, storagePath, baseUrl], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const events: Array<Record<string, any>> = [];
  const waiters: Array<() => void> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      events.push(JSON.parse(line));
      waiters.splice(0).forEach((w) => w());
    } catch {
      // not ours
    }
  });
  const next = (event: string) =>
    new Promise<Record<string, any>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${event}" from the ${mode} process`)), 20_000);
      const check = () => {
        const found = events.find((e) => e.event === event);
        if (found) {
          clearTimeout(timer);
          resolve(found);
        } else waiters.push(check);
      };
      check();
    });
  return { child, next };
}

describe('crash-safe provider requests', () => {
  it('an engine killed while its task waits on the provider is restarted and polls the same request to completion, charged once', async () => {
    const provider = await startFakeBfl({ latencyMs: 2500 });
    const storagePath = join(mkdtempSync(join(tmpdir(), 'imagegen-crash-')), 'engine.db');
    try {
      const first = run('submit', storagePath, provider.url);
      const { batchId } = await first.next('request-saved');
      // The provider's request id is durable on the task: kill without warning.
      first.child.kill('SIGKILL');
      await new Promise((r) => first.child.once('exit', r));
      expect(provider.stats.submits).toBe(1);
      const reader = createSqliteStorage({ path: storagePath });
      const saved = (await reader.getTask(batchId, 0))!.providerRequestId!;
      await reader.close();
      expect(saved).toBeTruthy();

      const second = run('resume', storagePath, provider.url);
      expect((await second.next('started')).recovered).toBe(1);
      const { task, balance } = await second.next('completed');
      expect(task.status).toBe('completed');
      expect(task.result.requestId).toBe(saved);
      expect(decodeRef(saved).url).toContain(provider.url);
      expect(provider.stats.submits).toBe(1);
      expect(balance).toBe(9);
    } finally {
      await provider.close();
    }
  }, 40_000);
});
