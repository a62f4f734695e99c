/**
 * The few test functions the conformance suite calls, typed structurally so vitest, jest, bun:test
 * (or node:test with an `expect` library) fit without this package depending on any of them.
 */

/** One assertion on a value, as `expect(value)` returns it. */
export interface ConformanceAssertion {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toMatchObject(expected: object): void;
  toBeNull(): void;
  toBeInstanceOf(expected: abstract new (...args: never[]) => unknown): void;
  toHaveLength(expected: number): void;
  readonly not: Omit<ConformanceAssertion, 'not' | 'rejects'>;
  /** Assertions on the reason a promise rejects with. */
  readonly rejects: { toThrow(expected?: RegExp | string): PromiseLike<unknown> };
}

/** The runner's `expect`. */
export type ConformanceExpect = (actual: unknown) => ConformanceAssertion;

/** The runner's test functions, passed to {@link runStorageConformance}. */
export interface ConformanceTestApi {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void>): void;
  expect: ConformanceExpect;
  beforeAll(body: () => Promise<void>): void;
  afterAll(body: () => Promise<void>): void;
}
