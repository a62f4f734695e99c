/** The environment as the reference server reads it. */
export type Env = Record<string, string | undefined>;

/** A variable's trimmed value; unset and blank are both undefined. */
export const text = (env: Env, name: string): string | undefined => {
  const value = env[name]?.trim();
  return value ? value : undefined;
};

/** A variable that must be set, else a `RangeError` naming it and saying why. */
export function required(env: Env, name: string, why: string): string {
  const value = text(env, name);
  if (value === undefined) throw new RangeError(`${name} is required ${why}`);
  return value;
}

/** One of `choices` (case-insensitive), else a `RangeError` naming the variable. */
export function oneOf<T extends string>(env: Env, name: string, choices: readonly T[]): T | undefined {
  const value = text(env, name)?.toLowerCase();
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value))
    throw new RangeError(`${name} must be one of ${choices.join(', ')} (got "${value}")`);
  return value as T;
}

/** `true`/`false` (also `1`/`0`, `yes`/`no`), else a `RangeError` naming the variable. */
export function flag(env: Env, name: string): boolean | undefined {
  const value = text(env, name)?.toLowerCase();
  if (value === undefined) return undefined;
  if (['1', 'true', 'yes'].includes(value)) return true;
  if (['0', 'false', 'no'].includes(value)) return false;
  throw new RangeError(`${name} must be true or false (got "${value}")`);
}

/** An absolute URL with one of `protocols` (e.g. `['http:', 'https:']`); never echoed, it may hold a password. */
export function url(env: Env, name: string, protocols: string[], example: string): string | undefined {
  const value = text(env, name);
  if (value === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new RangeError(`${name} is not a URL (expected ${example})`);
  }
  if (!protocols.includes(parsed.protocol)) throw new RangeError(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  return value;
}

export function port(env: Env, name: string): number | undefined {
  const value = text(env, name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new RangeError(`${name} must be a port number from 0 to 65535 (got "${value}")`);
  return n;
}
