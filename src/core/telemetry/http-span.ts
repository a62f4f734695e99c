import type { Telemetry } from '../ports/telemetry.js';

/**
 * A request handler with one `HTTP {method}` server span per request, continuing the caller's
 * trace when it sent a `traceparent` header. Attributes: method, path (never the query, which may
 * hold ids the caller did not mean to share), status.
 */
export function traceRequests(
  telemetry: Telemetry,
  handle: (request: Request) => Promise<Response>,
): (request: Request) => Promise<Response> {
  return (request) => {
    const path = new URL(request.url).pathname;
    return telemetry.span(
      `HTTP ${request.method}`,
      {
        kind: 'server',
        parent: request.headers.get('traceparent'),
        attributes: { 'http.request.method': request.method, 'url.path': path },
      },
      async (span) => {
        const response = await handle(request);
        span.setAttributes({ 'http.response.status_code': response.status });
        return response;
      },
    );
  };
}
