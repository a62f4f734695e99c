/** A Lua script with its key count; registered on the client with `defineCommand` under `name`. */
export interface RedisScript {
  /** Versioned command name, e.g. `igkV1CreateBatch`. Bump the version when a script changes. */
  readonly name: string;
  readonly numberOfKeys: number;
  readonly lua: string;
}

/** Version of every script's contract (KEYS, ARGV, returns). Part of each command's name. */
export const SCRIPT_VERSION = 7;

export const script = (name: string, numberOfKeys: number, lua: string): RedisScript => ({
  name: `igkV${SCRIPT_VERSION}${name}`,
  numberOfKeys,
  lua,
});

/**
 * Return codes shared by the scripts (first element of the reply):
 *   0 written, 1 replayed (the idempotency key existed),
 *  -1 insufficient credits ({-1, balance}), -2 idempotency key reused for another request,
 *  -3 id taken, -4 task not failed ({-4, status}), -5 over the tasks-waiting ceiling ({-5, waiting}).
 */
export const Code = { written: 0, replayed: 1, insufficient: -1, mismatch: -2, idTaken: -3, notFailed: -4, tooManyWaiting: -5 } as const;
