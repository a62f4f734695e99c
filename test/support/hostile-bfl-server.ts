import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

/**
 * A local server in BFL's API shape that misbehaves the way logs get secrets: `rejectKey` answers
 * 401 (the key leaves rotation), a prompt containing `explode` answers 500 with a body quoting the
 * request's `x-key` header back (so the error message carries the key), anything else succeeds
 * after one pending poll. Every request's headers are kept, to prove the keys were really sent.
 */
export async function startHostileBfl(options: { rejectKey: string }) {
  const seen: IncomingHttpHeaders[] = [];
  const polls = new Map<string, number>();
  let base = '';
  const server = createServer((req, res) => {
    seen.push(req.headers);
    const url = new URL(req.url ?? '/', base);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST' && url.pathname.startsWith('/v1/')) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const key = String(req.headers['x-key'] ?? '');
        if (key === options.rejectKey) return send(401, { detail: 'Invalid API key' });
        const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { prompt?: string };
        if (body.prompt?.includes('explode')) return send(500, { detail: `internal error while serving x-key=${key}` });
        const id = randomUUID();
        polls.set(id, 0);
        send(200, { id, polling_url: `${base}/v1/get_result?id=${id}` });
      });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/v1/get_result') {
      const id = url.searchParams.get('id') ?? '';
      const n = polls.get(id) ?? 0;
      polls.set(id, n + 1);
      if (n === 0) return send(200, { id, status: 'Pending', progress: 0.5 });
      return send(200, { id, status: 'Ready', result: { sample: `${base}/results/${id}.png` } });
    }
    if (req.method === 'GET' && url.pathname.startsWith('/results/')) {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(PNG.length) });
      return res.end(PNG);
    }
    send(404, { detail: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: base, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
