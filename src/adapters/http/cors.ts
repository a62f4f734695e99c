import type { CorsOptions } from './options.js';

/** The CORS headers for `origin`, or none when it is not allowed. */
export function corsHeaders(cors: CorsOptions | undefined, origin: string | null): Record<string, string> {
  if (!cors || !origin) return {};
  const allowed = cors.origin === '*' ? true : Array.isArray(cors.origin) ? cors.origin.includes(origin) : cors.origin(origin);
  if (!allowed) return {};
  return {
    'Access-Control-Allow-Origin': cors.origin === '*' && !cors.credentials ? '*' : origin,
    'Access-Control-Expose-Headers': 'Idempotency-Key, Idempotent-Replayed, Retry-After, ETag',
    ...(cors.credentials ? { 'Access-Control-Allow-Credentials': 'true' } : {}),
    Vary: 'Origin',
  };
}

/** The answer to a preflight `OPTIONS` request. */
export function preflight(cors: CorsOptions | undefined, request: Request): Response {
  const headers = corsHeaders(cors, request.headers.get('origin'));
  if (!headers['Access-Control-Allow-Origin']) return new Response(null, { status: 204 });
  return new Response(null, {
    status: 204,
    headers: {
      ...headers,
      'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
      'Access-Control-Allow-Headers': 'Authorization, Content-Type, Idempotency-Key, If-None-Match',
      'Access-Control-Max-Age': String(cors?.maxAge ?? 600),
    },
  });
}

/** Copies `headers` onto a response (a new one when the original's headers are immutable). */
export function withHeaders(response: Response, headers: Record<string, string>): Response {
  const entries = Object.entries(headers);
  if (entries.length === 0) return response;
  try {
    for (const [name, value] of entries) response.headers.set(name, value);
    return response;
  } catch {
    const copy = new Response(response.body, response);
    for (const [name, value] of entries) copy.headers.set(name, value);
    return copy;
  }
}
