import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

export interface FakeBflOptions {
  /** Time from submit until Ready. */
  latencyMs: number;
  /** Active tasks allowed per key; more answer 429 with Retry-After: 1. @default Infinity */
  concurrencyPerKey?: number;
  /** Serve on this port (a restarted test keeps its URL). @default a free port */
  port?: number;
}

interface Task {
  key: string;
  readyAt: number;
  webhookUrl?: string;
  webhookSecret?: string;
}

/**
 * A local HTTP server speaking BFL's API shape (submit, get_result, result files, signed webhooks)
 * with a fixed latency and a per-key limit of active tasks, for crash tests and the latency bench.
 */
export async function startFakeBfl(options: FakeBflOptions) {
  const tasks = new Map<string, Task>();
  const active = new Map<string, number>();
  const stats = { submits: 0, polls: 0, rejected: 0, maxActivePerKey: 0, webhooksSent: 0, webhookFailures: 0 };
  const limit = options.concurrencyPerKey ?? Number.POSITIVE_INFINITY;
  let base = '';

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST' && url.pathname.startsWith('/v1/')) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const key = String(req.headers['x-key'] ?? '');
        if (!key) return send(401, { detail: 'Not authenticated' });
        const running = active.get(key) ?? 0;
        if (running >= limit) {
          stats.rejected++;
          return send(429, { detail: 'too many active tasks' }, { 'retry-after': '1' });
        }
        const body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
        const id = randomUUID();
        stats.submits++;
        active.set(key, running + 1);
        stats.maxActivePerKey = Math.max(stats.maxActivePerKey, running + 1);
        const task: Task = {
          key,
          readyAt: Date.now() + options.latencyMs,
          webhookUrl: body.webhook_url,
          webhookSecret: body.webhook_secret,
        };
        tasks.set(id, task);
        setTimeout(() => {
          active.set(key, (active.get(key) ?? 1) - 1);
          if (task.webhookUrl) void pushWebhook(id, task);
        }, options.latencyMs).unref();
        send(200, { id, polling_url: `${base}/v1/get_result?id=${id}` });
      });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/v1/get_result') {
      stats.polls++;
      const id = url.searchParams.get('id') ?? '';
      const task = tasks.get(id);
      if (!task) return send(200, { id, status: 'Task not found' });
      if (Date.now() < task.readyAt) return send(200, { id, status: 'Pending', progress: null });
      return send(200, { id, status: 'Ready', result: { sample: `${base}/results/${id}.png` } });
    }
    if (req.method === 'GET' && url.pathname.startsWith('/results/')) {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(PNG.length) });
      return res.end(PNG);
    }
    send(404, { detail: 'Not Found' });
  });

  async function pushWebhook(id: string, task: Task): Promise<void> {
    const body = JSON.stringify({ id, status: 'Ready', result: { sample: `${base}/results/${id}.png` } });
    const signature = createHmac('sha256', task.webhookSecret ?? '')
      .update(body)
      .digest('hex');
    stats.webhooksSent++;
    // Like real providers, retry a failed delivery a few times.
    for (let attempt = 0; attempt < 3; attempt++) {
      const ok = await fetch(task.webhookUrl!, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-bfl-signature': `sha256=${signature}` },
        body,
      })
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) return;
      stats.webhookFailures++;
    }
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    stats,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
