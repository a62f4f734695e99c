import type { StorageAdapter } from '../src/core/ports/storage-adapter.js';
import { SimFault, STORAGE_METHODS, WRITES } from './faults.js';
import type { World } from './world.js';

/**
 * One engine's view of the shared storage: each call waits as a step until the scheduler runs
 * it, may fail before or after it commits, or crash the engine around it; what committed is
 * recorded in the run's history.
 */
export function scheduledStorage(world: World, owner: number): StorageAdapter {
  const raw = world.storage as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const out: Record<string, unknown> = { name: `sim(${world.storage.name})`, close: async () => {} };
  for (const name of STORAGE_METHODS) {
    out[name] = (...args: unknown[]) => {
      if (!world.alive(owner)) return new Promise(() => {});
      const actor = world.actors.getStore();
      return new Promise((resolve, reject) => {
        world.sched.ready(owner, `${name}(${describe(args)})`, async () => {
          const fault = world.chooseFault(WRITES.has(name));
          if (fault !== 'none') world.sched.log(owner, `  fault: ${fault}`);
          if (fault === 'crash-before') return world.crash(owner, `before ${name}`);
          if (fault === 'throw-before') return reject(new SimFault(`${name} failed before writing`));
          let result: unknown;
          try {
            result = await raw[name]!(...args);
          } catch (error) {
            world.sched.log(owner, `  ${name} threw ${(error as Error).name}: ${(error as Error).message.slice(0, 80)}`);
            return reject(error);
          }
          world.history.observe(name as keyof StorageAdapter, args, result, actor, owner);
          if (fault === 'crash-after') return world.crash(owner, `after ${name} committed`);
          if (fault === 'throw-after') return reject(new SimFault(`${name} committed, then failed`));
          resolve(result);
        });
      });
    };
  }
  return out as unknown as StorageAdapter;
}

const FIELDS = ['username', 'kind', 'amount', 'idempotencyKey', 'batchId', 'recordId', 'progress', 'providerRequestId', 'taskIndex'];

/** A short, stable description of a call's arguments for the trace. */
function describe(args: unknown[]): string {
  return args
    .map((a) => {
      if (a === null || typeof a !== 'object') return JSON.stringify(a);
      const o = a as Record<string, unknown>;
      const parts = FIELDS.filter((f) => o[f] !== undefined).map((f) => `${f}=${String(o[f])}`);
      if ('expect' in o) parts.push(`expect=${JSON.stringify(o.expect)}`);
      if ('charge' in o) parts.push(`charge=${String((o.charge as { amount: number }).amount)}`);
      return `{${parts.join(' ')}}`;
    })
    .join(', ');
}
