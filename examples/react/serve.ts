import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { Hono } from 'hono';
import { createServerApp, type ServerAppOptions } from '../server/app.js';
import { imageOriginsOf, pageSecurityHeaders } from '../server/security-headers.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** Every file under `dir`, by its URL path (`/assets/index-abc.js`). */
function filesOf(dir: string): Map<string, { body: Buffer; type: string }> {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const url = `/${relative(dir, path).split(sep).join('/')}`;
    files.set(url, { body: readFileSync(path), type: TYPES[extname(path)] ?? 'application/octet-stream' });
  }
  return files;
}

/**
 * The reference server (`/auth/*`, `/api/*`) with the built React page (`distDir`, from
 * `buildReactExample`) at `/` instead of its own, under the same strict CSP. Files are read once:
 * only what the build wrote is served.
 */
export async function createReactExampleServer(distDir: string, options: ServerAppOptions = {}) {
  const server = await createServerApp(options);
  const files = filesOf(distDir);
  const headers = pageSecurityHeaders({
    ...options.security,
    imageOrigins: [...(await imageOriginsOf(server.engine.imageStore)), ...(options.security?.imageOrigins ?? [])],
  });
  const app = new Hono();
  app.get('*', async (c, next) => {
    const file = files.get(c.req.path === '/' ? '/index.html' : c.req.path);
    if (!file) return next();
    // Vite names assets by content: they may be cached for good; the page itself is read each time.
    const cache = c.req.path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    return c.body(new Uint8Array(file.body), 200, { ...headers, 'Content-Type': file.type, 'Cache-Control': cache });
  });
  app.all('*', (c) => server.app.fetch(c.req.raw, c.env));
  return { ...server, app };
}
