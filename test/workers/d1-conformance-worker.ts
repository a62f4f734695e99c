// A Worker that runs the shipped storage conformance suite (dist, as users get it) on the D1
// adapter against its D1 binding, and answers the results as JSON; `/extra` runs d1-extra-suite.ts. `?sabotage=balance` runs it on
// an adapter whose balances are off by one, to show the harness reports failures.
import type { StorageAdapter } from '../../dist/index.js';
import { runStorageConformance } from '../../dist/adapter-kit/index.js';
import { createD1Storage, type D1Database } from '../../dist/adapters/storage/d1/index.js';
import { d1ExtraSuite } from './d1-extra-suite.js';
import { createTestApi } from './test-shim.js';

function sabotaged(storage: StorageAdapter): StorageAdapter {
  return { ...storage, getBalance: async (...args) => (await storage.getBalance(...args)) + 1 };
}

export default {
  async fetch(request: Request, env: { DB: D1Database; FRESH: D1Database; OLD: D1Database }): Promise<Response> {
    if (new URL(request.url).pathname === '/extra') {
      const api = createTestApi();
      d1ExtraSuite(api, env);
      return Response.json({ results: await api.runRegistered() });
    }
    const broken = new URL(request.url).searchParams.get('sabotage') === 'balance';
    const api = createTestApi();
    runStorageConformance({
      name: 'd1',
      create: async () => {
        const storage = createD1Storage({ database: env.DB });
        return { storage: broken ? sabotaged(storage) : storage };
      },
      ...api,
    });
    const results = await api.runRegistered();
    return Response.json({ results });
  },
};
