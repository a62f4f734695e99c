import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStorageConformance } from '../../src/adapter-kit/index.js';
import { findNode22 } from './node22.js';
import { type CaseResult, createTestApi } from './test-shim.js';
import { bundleWorker, type RunningWorker, startWorker } from './workerd.js';

const node = findNode22();
if (!node.ok) console.warn(`SKIPPED: the D1 conformance run in workerd needs Node 22 for Miniflare: ${node.reason}`);

/** How many cases the suite registers, counted here in Node with the same shim. */
function registeredCases(): number {
  const api = createTestApi();
  let n = 0;
  runStorageConformance({ name: 'count', create: async () => ({ storage: null as never }), ...api, it: () => void n++ });
  return n;
}

describe.skipIf(!node.ok)('D1 storage: the conformance suite inside workerd (Miniflare, D1 binding)', () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    const script = await bundleWorker(new URL('./d1-conformance-worker.ts', import.meta.url).pathname);
    worker = await startWorker({
      scriptPath: script,
      compatibilityFlags: ['nodejs_compat'],
      d1Databases: { DB: 'conformance', FRESH: 'fresh', OLD: 'old-schema' },
    });
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
  });

  async function run(query = ''): Promise<CaseResult[]> {
    const response = await fetch(new URL(query, worker.url));
    const text = await response.text();
    expect(response.status, text.slice(0, 2000)).toBe(200);
    return (JSON.parse(text) as { results: CaseResult[] }).results;
  }

  it('passes every case of runStorageConformance', async () => {
    const results = await run();
    const failed = results.filter((r) => !r.ok);
    console.log(
      `D1 in workerd (Node ${node.ok ? node.version : ''}): ${results.length - failed.length}/${results.length} conformance cases passed`,
    );
    for (const f of failed) console.log(`FAILED ${f.name}\n${f.error}`);
    expect(results.length).toBe(registeredCases());
    expect(failed.map((f) => f.name)).toEqual([]);
  }, 300_000);

  it('the D1 adapter itself needs no Node built-ins (bundles for workerd without nodejs_compat)', async () => {
    await expect(bundleWorker(new URL('../../dist/adapters/storage/d1/index.js', import.meta.url).pathname, false)).resolves.toMatch(
      /worker\.js$/,
    );
  });

  it('passes the D1 cases under contention (planned steps behind guards, concurrent migrations)', async () => {
    const results = await run('extra');
    const failed = results.filter((r) => !r.ok);
    console.log(`D1 extra cases in workerd: ${results.length - failed.length}/${results.length} passed`);
    for (const f of failed) console.log(`FAILED ${f.name}\n${f.error}`);
    expect(results).toHaveLength(6);
    expect(failed.map((f) => f.name)).toEqual([]);
  }, 300_000);

  it('reports failures: an adapter with balances off by one fails the ledger cases', async () => {
    const results = await run('?sabotage=balance');
    const failed = results.filter((r) => !r.ok);
    console.log(`sabotaged D1 adapter: ${failed.length}/${results.length} cases failed, as they should`);
    expect(failed.length).toBeGreaterThan(5);
    expect(failed.some((f) => f.name.includes('ledger') || f.error?.includes('expected'))).toBe(true);
  }, 300_000);
});
