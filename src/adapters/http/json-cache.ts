/**
 * The JSON of the last answers of one handler, by key (a batch id), each with the entity tag it
 * was built for: a read whose tag did not change sends the stored text instead of making the
 * public record and serializing it again. Bounded: past `max` keys the least recently used goes.
 * Per process and per handler; a miss only costs the build it would have cost anyway.
 */
export interface JsonCache {
  /** The JSON stored for `key` at `etag`, else built by `build`, stored and returned. */
  get(key: string, etag: string, build: () => Promise<unknown>): Promise<string>;
  readonly size: number;
}

export function createJsonCache(max = 1000): JsonCache {
  const entries = new Map<string, { etag: string; text: string }>();
  return {
    get size() {
      return entries.size;
    },
    async get(key, etag, build) {
      const hit = entries.get(key);
      if (hit && hit.etag === etag) {
        // Map order is insertion order: re-inserting makes it the most recently used.
        entries.delete(key);
        entries.set(key, hit);
        return hit.text;
      }
      const text = JSON.stringify(await build());
      entries.delete(key);
      entries.set(key, { etag, text });
      if (entries.size > max) entries.delete(entries.keys().next().value!);
      return text;
    },
  };
}
