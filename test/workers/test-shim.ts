import type { ConformanceAssertion, ConformanceTestApi } from '../../src/adapter-kit/index.js';

/** One registered test and what it did. */
export interface CaseResult {
  name: string;
  ok: boolean;
  error?: string;
  ms: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const show = (v: unknown): string => {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
};

/** vitest's `toEqual`: deep, own enumerable keys, a key holding `undefined` counts as absent. */
export function equals(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (!isObject(a) || !isObject(b)) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equals(x, b[i]));
  const keys = (o: Record<string, unknown>) => Object.keys(o).filter((k) => o[k] !== undefined);
  const ka = keys(a);
  const kb = keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && equals(a[k], b[k]));
}

/** vitest's `toMatchObject`: every key of `expected`, recursively; arrays element by element, same length. */
export function matches(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => matches(actual[i], e));
  }
  if (isObject(expected)) return isObject(actual) && Object.keys(expected).every((k) => matches(actual[k], expected[k]));
  return Object.is(actual, expected);
}

/** The assertions the suites use: the conformance suite's, and `toMatch` for the image-store suite. */
type Assertion = Omit<ConformanceAssertion, 'not' | 'rejects'> & { toMatch(pattern: RegExp | string): void };

function assertion(actual: unknown, negate: boolean): Assertion {
  const check = (pass: boolean, what: string) => {
    if (pass === negate) throw new Error(`expected ${show(actual)} ${negate ? 'not ' : ''}${what}`);
  };
  return {
    toBe: (e) => check(Object.is(actual, e), `to be ${show(e)}`),
    toEqual: (e) => check(equals(actual, e), `to equal ${show(e)}`),
    toMatchObject: (e) => check(matches(actual, e), `to match ${show(e)}`),
    toBeNull: () => check(actual === null, 'to be null'),
    toBeInstanceOf: (cls) => check(actual instanceof (cls as unknown as abstract new () => unknown), `to be an instance of ${cls.name}`),
    toMatch: (p) => check(typeof actual === 'string' && (typeof p === 'string' ? actual.includes(p) : p.test(actual)), `to match ${p}`),
    toHaveLength: (n) => check((actual as { length?: unknown } | null)?.length === n, `to have length ${n}`),
  };
}

function expect(actual: unknown): ConformanceAssertion & Assertion {
  return {
    ...assertion(actual, false),
    not: assertion(actual, true),
    rejects: {
      async toThrow(expected?: RegExp | string) {
        let error: unknown;
        try {
          await actual;
        } catch (caught) {
          error = caught ?? new Error('rejected with nothing');
        }
        if (error === undefined) throw new Error('expected the promise to reject, it resolved');
        const message = (error as Error).message ?? String(error);
        if (expected instanceof RegExp && !expected.test(message))
          throw new Error(`expected a rejection matching ${expected}, got: ${message}`);
        if (typeof expected === 'string' && !message.includes(expected))
          throw new Error(`expected a rejection with "${expected}", got: ${message}`);
      },
    },
  };
}

/**
 * The conformance suite's test functions for a runtime without vitest (workerd): `describe` and
 * `it` register, {@link runRegistered} runs every hook and case in order and reports each.
 */
export function createTestApi(): ConformanceTestApi & { runRegistered(): Promise<CaseResult[]> } {
  const prefix: string[] = [];
  const cases: Array<{ name: string; body: () => Promise<void> }> = [];
  const before: Array<() => Promise<void>> = [];
  const after: Array<() => Promise<void>> = [];
  return {
    describe(name, body) {
      prefix.push(name);
      try {
        body();
      } finally {
        prefix.pop();
      }
    },
    it(name, body) {
      cases.push({ name: [...prefix, name].join(' > '), body });
    },
    expect,
    beforeAll: (body) => void before.push(body),
    afterAll: (body) => void after.push(body),
    async runRegistered() {
      for (const hook of before) await hook();
      const results: CaseResult[] = [];
      for (const c of cases) {
        const started = Date.now();
        try {
          await c.body();
          results.push({ name: c.name, ok: true, ms: Date.now() - started });
        } catch (error) {
          results.push({ name: c.name, ok: false, error: (error as Error)?.stack ?? String(error), ms: Date.now() - started });
        }
      }
      for (const hook of after) await hook();
      return results;
    },
  };
}
