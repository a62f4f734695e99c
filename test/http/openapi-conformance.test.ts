import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSchema, type ErrorStatus } from '../../src/adapters/http/openapi/route-doc.js';
import type { Route } from '../../src/adapters/http/route-context.js';
import { routeTable } from '../../src/adapters/http/routes/index.js';
import { errorBodySchema } from '../../src/core/schemas/responses.js';
import { parseEventStream } from '../../src/client/sse.js';
import { createTestApp, type TestApp } from './app.js';
import { exchangeWebhooks, prepareExchanges, routeExchanges } from './route-exchanges.js';

// Every route is called for real and its answers are checked against the zod schemas its
// documentation names, so the document cannot drift from what the handler sends.

let app: TestApp;
let exchanges: ReturnType<typeof routeExchanges>;

async function checkAnswer(route: Route, response: Response): Promise<string[]> {
  const name = `${route.method} ${route.path} → ${response.status}`;
  const options = { maxTasksPerBatch: app.engine.maxTasksPerBatch };
  const success = route.doc.responses[response.status as 200];
  const type = response.headers.get('content-type') ?? '';
  if (!success) {
    if (!route.doc.errors.includes(response.status as ErrorStatus) && !(response.status === 401 && route.auth !== false)) {
      return [`${name}: status not documented`];
    }
    const body = errorBodySchema.safeParse(await response.json());
    return body.success ? [] : [`${name}: not the error envelope`];
  }
  if ('json' in success) {
    if (!type.startsWith('application/json')) return [`${name}: ${type} is not JSON`];
    const sent = await response.json();
    const body = resolveSchema(success.json, options).safeParse(sent);
    if (!body.success) return [`${name}: ${body.error.message}`];
    // zod drops keys its schema does not know: a field sent but not documented shows up here.
    return isDeepStrictEqual(body.data, sent) ? [] : [`${name}: sends fields the schema does not document`];
  }
  if ('bytes' in success) return success.bytes.includes(type) ? [] : [`${name}: ${type} is not documented`];
  if (!type.startsWith('text/event-stream')) return [`${name}: ${type} is not an event stream`];
  const problems: string[] = [];
  for await (const event of parseEventStream(response.body!)) {
    const schema = success.events[event.event];
    if (!schema) problems.push(`${name}: event ${event.event} not documented`);
    else if (!resolveSchema(schema, options).safeParse(JSON.parse(event.data)).success) problems.push(`${name}: ${event.event} data`);
  }
  return problems;
}

beforeAll(async () => {
  app = await createTestApp({
    provider: { failWhen: (input) => (input.prompt.includes('doomed') ? { reason: 'provider_error', message: 'broke' } : null) },
    handler: { webhooks: exchangeWebhooks() },
  });
  exchanges = routeExchanges(app, await prepareExchanges(app));
});
afterAll(() => app.close());

describe('the handler answers as its OpenAPI documentation says', () => {
  it('has an exchange for every route of the route table', () => {
    expect(Object.keys(exchanges).sort()).toEqual(routeTable.map((r) => `${r.method} ${r.path}`).sort());
  });

  it.each(routeTable.map((route) => [`${route.method} ${route.path}`, route] as const))('%s', async (key, route) => {
    const responses = await exchanges[key]!();
    expect(responses.some((r) => r.status >= 200 && r.status < 300)).toBe(true);
    const problems: string[] = [];
    for (const response of responses) problems.push(...(await checkAnswer(route, response)));
    expect(problems).toEqual([]);
  });
});
