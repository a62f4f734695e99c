import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createMemoryStorage } from '../../src/adapters/storage/memory/index.js';
import type { StorageAdapter } from '../../src/core/ports/storage-adapter.js';

const READS = /^(get|list|close)/;

/**
 * Test-only durable storage until a SQLite adapter lands: the memory adapter, plus a log of every
 * successful write (method and arguments, one JSON line, written synchronously before the call
 * returns). Opening the same file replays the log into a fresh memory adapter, so a process killed
 * with SIGKILL comes back with every write it had acknowledged. Writes carry their own `now`, so a
 * replay is deterministic.
 */
export async function openCommandLogStorage(path: string): Promise<StorageAdapter> {
  const inner = createMemoryStorage();
  if (existsSync(path)) {
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (!line) continue;
      const { method, args } = JSON.parse(line) as { method: string; args: unknown[] };
      await (inner as any)[method](...args).catch(() => {});
    }
  }
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string' || READS.test(property)) return value;
      return async (...args: unknown[]) => {
        const result = await value.apply(target, args);
        appendFileSync(path, `${JSON.stringify({ method: property, args })}\n`);
        return result;
      };
    },
  });
}
