/**
 * The part of Cloudflare's D1 binding the adapter uses, typed structurally so a Worker's
 * `env.DB` (from `@cloudflare/workers-types`) fits without this package depending on it.
 */
export interface D1Meta {
  changes: number;
}

export interface D1Result<T = Record<string, unknown>> {
  results: T[];
  meta: D1Meta;
}

export interface D1PreparedStatement {
  bind(...values: unknown[]): D1PreparedStatement;
  all<T = Record<string, unknown>>(): Promise<D1Result<T>>;
  run<T = Record<string, unknown>>(): Promise<D1Result<T>>;
}

export interface D1Database {
  prepare(query: string): D1PreparedStatement;
  /** Runs the statements in order as one SQL transaction: one failing rolls back all of them. */
  batch<T = Record<string, unknown>>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]>;
}
