/**
 * The client's run-time check of answers: schemas as plain data, read by {@link checkWire}. zod
 * classic would be most of a page's bundle (it does not tree-shake); these are a few hundred
 * bytes. They mirror the server's zod schemas (`core/schemas`) exactly — same fields, types,
 * bounds, unknown keys dropped — and a test walks both and fails when they differ.
 */
export type WireSchema =
  | { readonly kind: 'string' }
  | { readonly kind: 'number'; readonly int?: boolean; readonly min?: number; readonly max?: number }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'nullable' | 'optional'; readonly inner: WireSchema }
  | { readonly kind: 'array'; readonly item: WireSchema }
  | { readonly kind: 'object'; readonly shape: Readonly<Record<string, WireSchema>> };

declare const output: unique symbol;
/** A schema whose checked value is a `T`. */
export type Wire<T> = WireSchema & { readonly [output]: T };
/** The type of what `schema` accepts. */
export type WireOutput<S> = S extends { readonly [output]: infer T } ? T : never;

type Simplify<T> = { [K in keyof T]: T[K] };
type IsOptional<S> = undefined extends WireOutput<S> ? true : false;
type ObjectOutput<S> = Simplify<
  { -readonly [K in keyof S as IsOptional<S[K]> extends true ? never : K]: WireOutput<S[K]> } & {
    -readonly [K in keyof S as IsOptional<S[K]> extends true ? K : never]?: WireOutput<S[K]>;
  }
>;

const typed = <T>(schema: WireSchema) => schema as Wire<T>;

export const wireString = typed<string>({ kind: 'string' });
/** A finite number; `int`: a safe integer; `min`/`max` inclusive. */
export const wireNumber = (bounds: { int?: boolean; min?: number; max?: number } = {}) => typed<number>({ kind: 'number', ...bounds });
export const wireInt = wireNumber({ int: true });
export const wireEnum = <const V extends readonly string[]>(values: V) => typed<V[number]>({ kind: 'enum', values });
export const wireNullable = <S extends WireSchema>(inner: S) => typed<WireOutput<S> | null>({ kind: 'nullable', inner });
export const wireOptional = <S extends WireSchema>(inner: S) => typed<WireOutput<S> | undefined>({ kind: 'optional', inner });
export const wireArray = <S extends WireSchema>(item: S) => typed<WireOutput<S>[]>({ kind: 'array', item });
export const wireObject = <S extends Record<string, WireSchema>>(shape: S) => typed<ObjectOutput<S>>({ kind: 'object', shape });

/** Where an answer departs from its schema: a dotted path (`tasks.0.status`, empty for the body) and what was expected. */
export interface WireIssue {
  path: string;
  message: string;
}

const typeName = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

/** Checks `value` against `schema`: a copy of it without unknown object keys, or the first issue. */
export function checkWire<S extends WireSchema>(
  schema: S,
  value: unknown,
): { ok: true; value: WireOutput<S> } | ({ ok: false } & WireIssue) {
  try {
    return { ok: true, value: read(schema, value, '') as WireOutput<S> };
  } catch (issue) {
    if (issue instanceof Error) throw issue;
    return { ok: false, ...(issue as WireIssue) };
  }
}

function read(schema: WireSchema, value: unknown, path: string): unknown {
  const fail = (expected: string): never => {
    throw { path, message: `expected ${expected}, got ${typeof value === 'number' ? value : typeName(value)}` } satisfies WireIssue;
  };
  const at = (key: string | number) => (path ? `${path}.${key}` : String(key));
  switch (schema.kind) {
    case 'string':
      return typeof value === 'string' ? value : fail('a string');
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return fail('a number');
      if (schema.int && !Number.isSafeInteger(value)) return fail('an integer');
      if (value < (schema.min ?? -Infinity)) return fail(`at least ${schema.min}`);
      return value > (schema.max ?? Infinity) ? fail(`at most ${schema.max}`) : value;
    case 'enum':
      return schema.values.includes(value as string) ? value : fail(schema.values.join(' | '));
    case 'nullable':
      return value === null ? value : read(schema.inner, value, path);
    case 'optional':
      return value === undefined ? value : read(schema.inner, value, path);
    case 'array':
      return Array.isArray(value) ? value.map((item, index) => read(schema.item, item, at(index))) : fail('an array');
    case 'object': {
      if (typeName(value) !== 'object') return fail('an object');
      const input = value as Record<string, unknown>;
      const copy: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(schema.shape)) {
        const checked = read(field, input[key], at(key));
        if (Object.hasOwn(input, key)) copy[key] = checked;
      }
      return copy;
    }
  }
}
