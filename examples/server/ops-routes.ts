import type { Hono } from 'hono';
import { createHealthHandler } from '../../src/adapters/http/index.js';
import type { Engine } from '../../src/index.js';

/**
 * The routes an orchestrator and a scraper call, on the API port and on a worker's health port:
 * `GET /health` (alive), `GET /ready` (storage, queue and image store answer; 503 while stopping).
 */
export function mountOpsRoutes(app: Hono, engine: Engine): void {
  const health = createHealthHandler({ engine });
  const probe = async (request: Request) => (await health(request)) ?? new Response(null, { status: 404 });
  app.get('/health', (c) => probe(c.req.raw));
  app.get('/ready', (c) => probe(c.req.raw));
}
