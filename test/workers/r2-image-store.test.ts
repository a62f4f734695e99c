import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNode22 } from './node22.js';
import type { CaseResult } from './test-shim.js';
import { bundleWorker, type RunningWorker, startWorker } from './workerd.js';

const node = findNode22();
if (!node.ok) console.warn(`SKIPPED: the R2 image-store run in workerd needs Node 22 for Miniflare: ${node.reason}`);

describe.skipIf(!node.ok)('R2-binding image store: the image-store suite inside workerd (Miniflare, R2 binding)', () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    const here = (p: string) => new URL(p, import.meta.url).pathname;
    const script = await bundleWorker(here('./r2-image-store-worker.ts'), false, { vitest: here('./vitest-shim.ts') });
    worker = await startWorker({ scriptPath: script, r2Buckets: { IMAGES: 'images' } });
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
  });

  it('passes every case of the image-store suite, with and without a key prefix', async () => {
    const response = await fetch(worker.url);
    const text = await response.text();
    expect(response.status, text.slice(0, 2000)).toBe(200);
    const { results } = JSON.parse(text) as { results: CaseResult[] };
    const failed = results.filter((r) => !r.ok);
    console.log(`R2 store in workerd: ${results.length - failed.length}/${results.length} image-store cases passed`);
    for (const f of failed) console.log(`FAILED ${f.name}\n${f.error}`);
    expect(results).toHaveLength(8);
    expect(failed.map((f) => f.name)).toEqual([]);
  }, 120_000);
});
