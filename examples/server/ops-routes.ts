import type { Hono } from 'hono';
import { createHealthHandler } from '../../src/adapters/http/index.js';
import type { Engine } from '../../src/index.js';
import type { ServerTelemetry } from './telemetry.js';

/**
 * The routes an orchestrator and a scraper call, on the API port and on a worker's health port:
 * `GET /health` (alive), `GET /ready` (storage, queue and image store answer; 503 while stopping)
 * and, with `metrics`, `GET /metrics` (Prometheus text format).
 */
export function mountOpsRoutes(app: Hono, engine: Engine, metrics?: ServerTelemetry | null): void {
  const health = createHealthHandler({ engine });
  const probe = async (request: Request) => (await health(request)) ?? new Response(null, { status: 404 });
  app.get('/health', (c) => probe(c.req.raw));
  app.get('/ready', (c) => probe(c.req.raw));
  if (metrics)
    app.get(
      '/metrics',
      async () =>
        new Response(await metrics.scrape(), {
          headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' },
        }),
    );
}
