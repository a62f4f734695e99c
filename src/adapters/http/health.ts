import type { Engine } from '../../core/engine.js';

export interface HealthHandlerOptions {
  engine: Pick<Engine, 'readiness' | 'role'>;
  /** Each dependency's limit to answer `/ready`. @default 2000 */
  timeoutMs?: number;
  /** Where the probes are mounted, e.g. `/internal`. @default '' (`/health`, `/ready`) */
  basePath?: string;
}

const NO_STORE = { 'cache-control': 'no-store', 'content-type': 'application/json; charset=utf-8' };

/**
 * The probes of an orchestrator, for any process (API or worker): `GET /health` answers 200 while
 * the process runs; `GET /ready` answers 200 when storage, the queue and the image store answer,
 * 503 when one does not or from the moment the engine stops (so a load balancer sends no more
 * work). Other requests resolve `null`, for the host to route on.
 */
export function createHealthHandler(options: HealthHandlerOptions): (request: Request) => Promise<Response | null> {
  const { engine } = options;
  const base = (options.basePath ?? '').replace(/\/+$/, '');
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return null;
    const path = new URL(request.url).pathname;
    if (path === `${base}/health`) return new Response(JSON.stringify({ status: 'ok', role: engine.role }), { headers: NO_STORE });
    if (path !== `${base}/ready`) return null;
    const report = await engine.readiness({ timeoutMs: options.timeoutMs ?? 2000 });
    const status = report.ready ? 'ready' : report.stopping ? 'stopping' : 'not_ready';
    return new Response(JSON.stringify({ status, role: engine.role, checks: report.checks }), {
      status: report.ready ? 200 : 503,
      headers: NO_STORE,
    });
  };
}
