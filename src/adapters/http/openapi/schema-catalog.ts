import { z } from 'zod';
import type { DocOptions, DocSchema } from './route-doc.js';

type JsonSchema = Record<string, unknown>;
/** Requests are described as clients send them (zod's input side), responses as the handler sends them. */
type Side = 'input' | 'output';

const COMPONENT_URI = (id: string) => `#/components/schemas/${id}`;

function withoutDialect(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, $id: _id, ...rest } = schema;
  return rest;
}

/**
 * Turns the routes' zod schemas into JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) with
 * zod's own `z.toJSONSchema`: a schema with a component name becomes a `$ref`, and nested named
 * schemas are referenced from inside the components too.
 */
export class SchemaCatalog {
  readonly #options: DocOptions;
  readonly #built = new Map<DocSchema, z.ZodType>();
  readonly #registries: Record<Side, z.core.$ZodRegistry<{ id: string }>> = { input: z.registry(), output: z.registry() };
  readonly #names = new Map<z.ZodType, string>();

  constructor(options: DocOptions, requestNames: ReadonlyMap<DocSchema, string>, responseNames: ReadonlyMap<DocSchema, string>) {
    this.#options = options;
    const taken = new Set<string>();
    for (const [side, names] of [
      ['input', requestNames],
      ['output', responseNames],
    ] as const) {
      for (const [doc, name] of names) {
        if (taken.has(name)) throw new Error(`OpenAPI component ${name} is named twice`);
        taken.add(name);
        const schema = this.resolve(doc);
        this.#registries[side].add(schema, { id: name });
        this.#names.set(schema, name);
      }
    }
  }

  /** The zod schema of `doc` under this handler's options (one instance per factory). */
  resolve(doc: DocSchema): z.ZodType {
    let schema = this.#built.get(doc);
    if (!schema) {
      schema = typeof doc === 'function' ? doc(this.#options) : doc;
      this.#built.set(doc, schema);
    }
    return schema;
  }

  /** A `$ref` to the component of `doc`, or its JSON Schema inline when it has no name. */
  schemaOf(doc: DocSchema, side: Side): JsonSchema {
    const schema = this.resolve(doc);
    const name = this.#names.get(schema);
    if (name !== undefined) return { $ref: COMPONENT_URI(name) };
    return withoutDialect(z.toJSONSchema(schema, { io: side, target: 'draft-2020-12', unrepresentable: 'any' }) as JsonSchema);
  }

  /** OpenAPI parameters, one per property of `shape` (query parameters are optional where the schema says so). */
  parametersOf(shape: z.ZodObject, where: 'query' | 'path'): JsonSchema[] {
    const json = this.schemaOf(shape, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
    return Object.entries(json.properties ?? {}).map(([name, schema]) => ({
      name,
      in: where,
      required: where === 'path' || (json.required ?? []).includes(name),
      schema,
    }));
  }

  /** Every named schema, requests and responses, as `components.schemas`. */
  components(): Record<string, JsonSchema> {
    const all: Record<string, JsonSchema> = {};
    for (const side of ['input', 'output'] as const) {
      const { schemas } = z.toJSONSchema(this.#registries[side], {
        io: side,
        target: 'draft-2020-12',
        unrepresentable: 'any',
        uri: COMPONENT_URI,
      }) as { schemas: Record<string, JsonSchema> };
      for (const [name, schema] of Object.entries(schemas)) all[name] = withoutDialect(schema);
    }
    return all;
  }
}
