import type { D1Database, D1PreparedStatement } from './d1-types.js';

/** Positional values for `?`/`?N`, or an object for `@name`. */
export type Params = readonly unknown[] | object;

interface Compiled {
  sql: string;
  /** For named parameters: the name of each `?N`, in order. */
  names: string[] | null;
}

const compiled = new Map<string, Compiled>();

/**
 * D1 binds only positional parameters (`?`, `?N`); the SQLite adapter's statements use named ones
 * (`@name`). This rewrites each `@name` to `?N` once per statement text, so both adapters run the
 * same SQL.
 */
function compile(sql: string): Compiled {
  let hit = compiled.get(sql);
  if (!hit) {
    const names: string[] = [];
    const text = sql.replace(/@([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => {
      let index = names.indexOf(name);
      if (index < 0) index = names.push(name) - 1;
      return `?${index + 1}`;
    });
    hit = { sql: text, names: names.length > 0 ? names : null };
    compiled.set(sql, hit);
  }
  return hit;
}

/** D1 refuses `undefined` and booleans: they bind as NULL and 0/1. */
const bindable = (value: unknown): unknown => (value === undefined ? null : typeof value === 'boolean' ? (value ? 1 : 0) : value);

/** A prepared statement with its parameters: an array for `?`, an object for `@name`. */
export function statement(db: D1Database, sql: string, params: Params = []): D1PreparedStatement {
  const { sql: text, names } = compile(sql);
  const values = names
    ? names.map((name) => bindable((params as Record<string, unknown>)[name]))
    : (params as readonly unknown[]).map(bindable);
  const prepared = db.prepare(text);
  return values.length > 0 ? prepared.bind(...values) : prepared;
}

/** Appends a condition to an UPDATE's WHERE clause, before its RETURNING when it has one. */
export function andWhere(sql: string, condition: string): string {
  const at = sql.search(/\sRETURNING\s/);
  return at < 0 ? `${sql} AND ${condition}` : `${sql.slice(0, at)} AND ${condition}${sql.slice(at)}`;
}
