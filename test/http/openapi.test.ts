import { validate } from '@readme/openapi-parser';
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument, documentOf, openApiPath } from '../../src/adapters/http/openapi/build-document.js';
import type { Route } from '../../src/adapters/http/route-context.js';
import { routeTable } from '../../src/adapters/http/routes/index.js';
import { json } from '../../src/adapters/http/json.js';
import { createTestApp } from './app.js';

type Operation = {
  summary?: string;
  requestBody?: { content?: Record<string, unknown> };
  responses?: Record<string, { content?: Record<string, unknown> }>;
  parameters?: Array<{ name: string; in: string }>;
  security?: unknown[];
};

/** What the document fails to say about each route of `routes`: empty when every route is fully documented. */
function documentationGaps(document: any, routes: readonly Route[]): string[] {
  const gaps: string[] = [];
  for (const route of routes) {
    const name = `${route.method} ${route.path}`;
    const operation: Operation | undefined = document.paths[openApiPath(route.path)]?.[route.method.toLowerCase()];
    if (!operation) {
      gaps.push(`${name}: not in the document`);
      continue;
    }
    if (!operation.summary) gaps.push(`${name}: no summary`);
    if (route.method === 'POST' && Object.keys(operation.requestBody?.content ?? {}).length === 0) gaps.push(`${name}: no request body`);
    const successes = Object.entries(operation.responses ?? {}).filter(([status]) => /^2\d\d$/.test(status));
    if (successes.length === 0 || successes.some(([, r]) => Object.keys(r.content ?? {}).length === 0)) {
      gaps.push(`${name}: no success response with a media type`);
    }
    for (const [, param] of route.path.matchAll(/:([a-z_]+)/gi)) {
      if (!operation.parameters?.some((p) => p.in === 'path' && p.name === param))
        gaps.push(`${name}: path parameter ${param} undocumented`);
    }
    const signIn = route.auth !== false;
    if (signIn && (!operation.responses?.['401'] || operation.security)) gaps.push(`${name}: sign-in not documented`);
    if (!signIn && operation.security?.length !== 0) gaps.push(`${name}: documented as needing sign-in`);
  }
  return gaps;
}

describe('GET /api/openapi.json', () => {
  it('serves an OpenAPI 3.1 document, without sign-in, that a third-party validator accepts', async () => {
    const app = await createTestApp();
    const response = await app.call('GET', '/api/openapi.json', { user: null });
    expect(response.status).toBe(200);
    const document = await response.json();
    expect(document.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(document));
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(document.components.schemas.BatchRecord.required).toEqual(
      expect.arrayContaining([
        'batchId',
        'username',
        'tasks',
        'totalTasks',
        'completedTasks',
        'failedTasks',
        'status',
        'createdAt',
        'updatedAt',
      ]),
    );
    await app.close();
  });

  it('documents every route of the route table: its request body, its success response, its path parameters and its sign-in', async () => {
    const app = await createTestApp({ start: false });
    const document = await (await app.call('GET', '/api/openapi.json', { user: null })).json();
    expect(routeTable.length).toBeGreaterThanOrEqual(14);
    expect(documentationGaps(document, routeTable)).toEqual([]);
    const operations = Object.values(document.paths).flatMap((item: any) => Object.keys(item));
    expect(operations).toHaveLength(routeTable.length);
    await app.close();
  });

  it('reports a route whose documentation lacks a body or a response (the check above can fail)', () => {
    const undocumented = {
      method: 'POST',
      path: '/things/:id',
      doc: { summary: 'A new thing', responses: {}, errors: [] },
      handle: async () => json({}),
    } as Route;
    const document = documentOf([...routeTable, undocumented], {});
    expect(documentationGaps(document, [undocumented])).toEqual([
      'POST /things/:id: no request body',
      'POST /things/:id: no success response with a media type',
      'POST /things/:id: path parameter id undocumented',
    ]);
    const { doc: _doc, ...bare } = undocumented;
    expect(documentationGaps(buildOpenApiDocument(), [{ ...bare, path: '/nowhere' } as Route])).toEqual([
      'POST /nowhere: not in the document',
    ]);
  });

  it("shows the batch limit the handler's engine enforces", async () => {
    const app = await createTestApp({ engine: { maxTasksPerBatch: 3 } });
    await app.grant('alice', 10);
    const document = await (await app.call('GET', '/api/openapi.json', { user: null })).json();
    const batchRequest = document.components.schemas.BatchGenerateRequest;
    expect(batchRequest.properties.prompts.maxItems).toBe(3);
    expect(batchRequest.properties.count.maximum).toBe(3);
    expect((await app.send('POST', '/api/batch/generate', { body: { prompt: 'a cat', count: 4 } })).status).toBe(400);
    expect((await app.send('POST', '/api/batch/generate', { body: { prompt: 'a cat', count: 3 } })).status).toBe(200);
    // Built once per handler: the second answer is the same document.
    expect(await (await app.call('GET', '/api/openapi.json', { user: null })).json()).toEqual(document);
    await app.close();
    const defaults = buildOpenApiDocument() as any;
    expect(defaults.components.schemas.BatchGenerateRequest.properties.prompts.maxItems).toBe(10);
  });

  it('converts query and path parameters from their zod schemas', () => {
    const document = buildOpenApiDocument({ basePath: '/v1/' }) as any;
    expect(document.servers).toEqual([{ url: '/v1' }]);
    expect(document.paths['/batch/list'].get.parameters).toEqual([
      { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100 } },
      { name: 'cursor', in: 'query', required: false, schema: { type: 'string', minLength: 1 } },
    ]);
    expect(document.paths['/batch/status'].get.parameters).toEqual([
      { name: 'batch_id', in: 'query', required: true, schema: { type: 'string', minLength: 1 } },
    ]);
    expect(document.paths['/images/{key}'].get.parameters).toEqual([
      { name: 'key', in: 'path', required: true, schema: { type: 'string' } },
      expect.objectContaining({ name: 'exp', in: 'query', required: true, schema: expect.objectContaining({ type: 'string' }) }),
      expect.objectContaining({ name: 'sig', in: 'query', required: true, schema: expect.objectContaining({ type: 'string' }) }),
    ]);
    // A signed URL needs no sign-in; a bad one is the 404 of a missing image.
    expect(document.paths['/images/{key}'].get.security).toEqual([]);
    expect(Object.keys(document.paths['/images/{key}'].get.responses)).toEqual(['200', '404']);
    expect(document.paths['/generate'].post.parameters.map((p: any) => p.name)).toEqual(['Idempotency-Key']);
    const pattern = new RegExp(document.paths['/generate'].post.parameters[0].schema.pattern);
    expect([pattern.test('retry:abc-123'), pattern.test('has space'), pattern.test('x'.repeat(201))]).toEqual([true, false, false]);
  });
});
