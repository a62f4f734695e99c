import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { type WireOutput, type WireSchema, checkWire } from '../../src/client/wire-check.js';
import * as wire from '../../src/client/wire-schemas.js';
import { publicBatchSchema, publicTaskSchema } from '../../src/core/schemas/public.js';
import {
  batchCreatedResponseSchema,
  batchListResponseSchema,
  creditsResponseSchema,
  generateResponseSchema,
  imageToImageResponseSchema,
  uploadResponseSchema,
} from '../../src/core/schemas/responses.js';
import { batchCancelResponseSchema } from '../../src/core/schemas/cancel.js';
import { progressEventSchema, recordListResponseSchema, retryResponseSchema } from '../../src/core/schemas/wire.js';
import { createTestApp, readEvents, type TestApp } from '../http/app.js';
import { exchangeWebhooks, prepareExchanges, routeExchanges } from '../http/route-exchanges.js';

// The client checks answers with its own small schemas (zod classic would be most of a page's
// bundle). They must be the server's, field for field: compared as structures, as types, and on
// the real answers of every route.

/** Each client schema beside the server schema it copies, and the routes (`METHOD path`) and events that answer with it. */
const pairs = [
  { name: 'upload', client: wire.uploadResponseWire, server: uploadResponseSchema, routes: ['POST /upload-image'] },
  { name: 'image-to-image', client: wire.imageToImageResponseWire, server: imageToImageResponseSchema, routes: ['POST /image-to-image'] },
  { name: 'generate', client: wire.generateResponseWire, server: generateResponseSchema, routes: ['POST /generate'] },
  { name: 'batch created', client: wire.batchCreatedResponseWire, server: batchCreatedResponseSchema, routes: ['POST /batch/generate'] },
  {
    name: 'batch',
    client: wire.publicBatchWire,
    server: publicBatchSchema,
    routes: ['GET /batch/status', 'event snapshot', 'event completed'],
  },
  { name: 'batch list', client: wire.batchListResponseWire, server: batchListResponseSchema, routes: ['GET /batch/list'] },
  { name: 'task', client: wire.publicTaskWire, server: publicTaskSchema, routes: ['POST /batch/process', 'event task'] },
  { name: 'retry', client: wire.retryResponseWire, server: retryResponseSchema, routes: ['POST /batch/retry'] },
  { name: 'credits', client: wire.creditsResponseWire, server: creditsResponseSchema, routes: ['GET /credits'] },
  { name: 'records', client: wire.recordListResponseWire, server: recordListResponseSchema, routes: ['GET /records'] },
  { name: 'progress event', client: wire.progressEventWire, server: progressEventSchema, routes: ['event progress'] },
  { name: 'cancel', client: wire.batchCancelResponseWire, server: batchCancelResponseSchema, routes: ['POST /batch/cancel'] },
] satisfies Array<{ name: string; client: WireSchema; server: z.ZodType; routes: string[] }>;

/** A zod schema as a {@link WireSchema}; throws on anything the client's checks cannot express. */
function fromZod(schema: z.core.$ZodType): WireSchema {
  const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, any>;
  const checks: Array<Record<string, any>> = (def.checks ?? []).map((check: z.core.$ZodCheck) => check._zod.def);
  switch (def.type) {
    case 'string':
      if (checks.length) throw new Error(`string checks ${JSON.stringify(checks)} are not copied`);
      return { kind: 'string' };
    case 'number': {
      const number: { kind: 'number'; int?: boolean; min?: number; max?: number } = { kind: 'number' };
      for (const check of checks) {
        if (check.check === 'number_format' && check.format === 'safeint') number.int = true;
        else if (check.check === 'greater_than' && check.inclusive) number.min = check.value;
        else if (check.check === 'less_than' && check.inclusive) number.max = check.value;
        else throw new Error(`number check ${JSON.stringify(check)} is not copied`);
      }
      return number;
    }
    case 'enum':
      return { kind: 'enum', values: Object.values(def.entries as Record<string, string>) };
    case 'nullable':
    case 'optional':
      return { kind: def.type, inner: fromZod(def.innerType) };
    case 'array':
      if (checks.length) throw new Error('array checks are not copied');
      return { kind: 'array', item: fromZod(def.element) };
    case 'object':
      if (def.catchall) throw new Error('only objects that drop unknown keys are copied');
      return {
        kind: 'object',
        shape: Object.fromEntries(Object.entries(def.shape).map(([key, field]) => [key, fromZod(field as z.core.$ZodType)])),
      };
    default:
      throw new Error(`zod type ${def.type} is not copied`);
  }
}

describe('the client checks answers with copies of the server schemas', () => {
  it.each(pairs)('$name: the same fields, types and bounds', ({ client, server }) => {
    expect(client).toStrictEqual(fromZod(server));
  });

  it('gives the same types as the server schemas', () => {
    expectTypeOf<WireOutput<typeof wire.publicBatchWire>>().toEqualTypeOf<z.output<typeof publicBatchSchema>>();
    expectTypeOf<WireOutput<typeof wire.publicTaskWire>>().toEqualTypeOf<z.output<typeof publicTaskSchema>>();
    expectTypeOf<WireOutput<typeof wire.uploadResponseWire>>().toEqualTypeOf<z.output<typeof uploadResponseSchema>>();
    expectTypeOf<WireOutput<typeof wire.imageToImageResponseWire>>().toEqualTypeOf<z.output<typeof imageToImageResponseSchema>>();
    expectTypeOf<WireOutput<typeof wire.generateResponseWire>>().toEqualTypeOf<z.output<typeof generateResponseSchema>>();
    expectTypeOf<WireOutput<typeof wire.batchCreatedResponseWire>>().toEqualTypeOf<z.output<typeof batchCreatedResponseSchema>>();
    expectTypeOf<WireOutput<typeof wire.batchListResponseWire>>().toEqualTypeOf<z.output<typeof batchListResponseSchema>>();
    expectTypeOf<WireOutput<typeof wire.retryResponseWire>>().toEqualTypeOf<z.output<typeof retryResponseSchema>>();
    expectTypeOf<WireOutput<typeof wire.creditsResponseWire>>().toEqualTypeOf<z.output<typeof creditsResponseSchema>>();
    expectTypeOf<WireOutput<typeof wire.recordListResponseWire>>().toEqualTypeOf<z.output<typeof recordListResponseSchema>>();
    expectTypeOf<WireOutput<typeof wire.progressEventWire>>().toEqualTypeOf<z.output<typeof progressEventSchema>>();
  });
});

/** `value` with one change at each place: every key dropped, every value swapped for each of a few wrong ones. */
function* mutations(value: unknown): Generator<unknown> {
  const replacements: unknown[] = [null, 'x', -1, 1.5, 4_294_967_296, true, [], {}, 'completed'];
  for (const replacement of replacements) yield replacement;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) for (const changed of mutations(item)) yield value.with(index, changed);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const { [key]: _dropped, ...rest } = value as Record<string, unknown>;
      yield rest;
      for (const changed of mutations(item)) yield { ...value, [key]: changed };
    }
    yield { ...value, extra: 1 };
  }
}

describe('on the handler’s real answers', () => {
  let app: TestApp;
  /** Route (`METHOD path`, or `event <name>`) → the JSON bodies of its 2xx answers. */
  const answers = new Map<string, unknown[]>();

  beforeAll(async () => {
    app = await createTestApp({
      handler: { webhooks: exchangeWebhooks() },
      provider: { failWhen: (input) => (input.prompt.includes('doomed') ? { reason: 'provider_error', message: 'broke' } : null) },
    });
    const exchanges = routeExchanges(app, await prepareExchanges(app));
    // A stream opened while the batch runs, for the progress and task events.
    exchanges['live events'] = async () => {
      const { body } = await app.send('POST', '/api/batch/generate', { body: { prompts: ['a hen', 'doomed hen'] } });
      return [await app.call('GET', `/api/batch/events?batch_id=${body.batch_id}`)];
    };
    for (const [route, call] of Object.entries(exchanges)) {
      for (const response of await call()) {
        if (!response.ok) continue;
        const type = response.headers.get('content-type') ?? '';
        const list = (key: string) => answers.get(key) ?? answers.set(key, []).get(key)!;
        if (type.startsWith('application/json')) list(route).push(await response.json());
        else if (type.startsWith('text/event-stream'))
          for (const event of await readEvents(response)) list(`event ${event.event}`).push(event.data);
      }
    }
  });
  afterAll(() => app.close());

  it('peek', () => console.log([...answers].map(([k, v]) => `${k}: ${v.length}`).join('\n')));
  it.each(pairs)('$name: both accept each answer and give the same value', ({ client, server, routes }) => {
    for (const route of routes) expect(answers.get(route)?.length, `answers of ${route}`).toBeGreaterThan(0);
    for (const body of routes.flatMap((route) => answers.get(route) ?? [])) {
      const checked = checkWire(client, body);
      expect(checked).toEqual({ ok: true, value: server.parse(body) });
    }
  });

  it.each(pairs)('$name: both refuse the same changed answers', ({ client, server, routes }) => {
    for (const body of routes.flatMap((route) => answers.get(route) ?? [])) {
      for (const changed of mutations(body)) {
        const checked = checkWire(client, changed);
        const parsed = server.safeParse(changed);
        expect(checked.ok, JSON.stringify(changed)).toBe(parsed.success);
        if (checked.ok && parsed.success) expect(checked.value).toEqual(parsed.data);
      }
    }
  });
});
