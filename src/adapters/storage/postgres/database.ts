import { createHash } from 'node:crypto';
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { sleep } from '../../../core/util/sleep.js';

/** Something that runs one query: the pool (a statement of its own) or a client inside a transaction. */
export type Queryable = Pick<Pool, 'query'> | PoolClient;

/** One SQL statement with its parameters. */
export type Params = ReadonlyArray<unknown>;

/** A schema name this adapter accepts: a plain SQL identifier, so it never needs escaping rules. */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Deadlock and serialization failures: PostgreSQL rolled the transaction back and it may simply run again. */
const RETRYABLE = new Set(['40P01', '40001']);

/** The SQLSTATE of a driver error, if any. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True for a unique violation on the named constraint. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  return sqlState(error) === '23505' && (error as { constraint?: string }).constraint === constraint;
}

/**
 * The adapter's handle on PostgreSQL: the pool, the schema every table lives in, and the two ways
 * to run SQL, one statement (atomic on its own) or one transaction. Statements are sent as named
 * prepared statements (parsed and planned once per connection) unless `prepare` is off.
 */
export class Database {
  readonly schema: string;

  constructor(
    readonly pool: Pool,
    schema: string,
    private readonly prepare: boolean,
  ) {
    if (!SCHEMA_NAME.test(schema)) {
      throw new RangeError(`imagegen-kit: schema must be a plain SQL identifier (letters, digits, _), got "${schema}"`);
    }
    this.schema = schema;
  }

  /** A table (or other object) of this adapter's schema, quoted for SQL. */
  table(name: string): string {
    return `"${this.schema}"."${name}"`;
  }

  /** Runs one statement on `on` (the pool unless inside a transaction) and returns its rows. */
  async query<R extends QueryResultRow>(text: string, params: Params = [], on: Queryable = this.pool): Promise<R[]> {
    const values = params as unknown[];
    const result = this.prepare ? await on.query<R>({ name: statementName(text), text, values }) : await on.query<R>({ text, values });
    return result.rows;
  }

  /** Runs one statement that returns no rows and answers how many rows it wrote. */
  async execute(text: string, params: Params = [], on: Queryable = this.pool): Promise<number> {
    const values = params as unknown[];
    const result = this.prepare ? await on.query({ name: statementName(text), text, values }) : await on.query({ text, values });
    return result.rowCount ?? 0;
  }

  /**
   * Runs `fn` in one transaction (READ COMMITTED; the callers take row locks where they read
   * before they write). A deadlock or serialization failure rolls back and runs `fn` again, a few
   * times; any other error rolls back and surfaces.
   */
  async transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const value = await fn(client);
        await client.query('COMMIT');
        return value;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          // The connection is unusable: the pool must not hand it out again.
          broken = rollbackError as Error;
        }
        if (!RETRYABLE.has(sqlState(error) ?? '') || attempt >= 4) throw error;
      } finally {
        client.release(broken);
      }
      await sleep(Math.random() * 5 * (attempt + 1));
    }
  }
}

const names = new Map<string, string>();

/** A stable statement name per SQL text, so one connection can serve several schemas (each text is its own statement). */
function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `igk_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    names.set(text, name);
  }
  return name;
}
