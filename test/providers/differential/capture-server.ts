import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';

/** One request as the capture server saw it: never a key, only its scheme. */
export interface Captured {
  method: string;
  path: string;
  query: Record<string, string>;
  /** `Bearer`, `Key`, `x-key` (BFL's header) or null. */
  auth: string | null;
  /** The media type of the body without parameters (no multipart boundary); null without a body. */
  contentType: string | null;
  /** Field name → `string`, `number`, `boolean`, `object`, `array` or `file` (multipart files). */
  shape: Record<string, string>;
  /** The parsed JSON body, or the multipart text fields. */
  body: Record<string, unknown>;
}

/** What the fake provider answers: JSON, or raw bytes. */
export type Answer = { status?: number; json?: unknown; bytes?: Uint8Array; headers?: Record<string, string> };

/** Serves `answer` for every request and records what came; `origin` is `http://127.0.0.1:<port>`. */
export function useCaptureServer(answer: (request: Captured, origin: string) => Answer | Promise<Answer>) {
  const state = { origin: '', requests: [] as Captured[], answer };
  const server = createServer(async (req, res) => {
    const captured = await capture(req);
    state.requests.push(captured);
    const out = await state.answer(captured, state.origin);
    const headers: Record<string, string> = { ...out.headers };
    let payload: Uint8Array | string = '';
    if (out.bytes) payload = out.bytes;
    else if (out.json !== undefined) {
      payload = JSON.stringify(out.json);
      headers['content-type'] ??= 'application/json';
    }
    res.writeHead(out.status ?? 200, headers).end(payload);
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    state.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return {
    get origin() {
      return state.origin;
    },
    /** Forgets what was seen and answers with `next` from now on. */
    reset(next: typeof answer = answer) {
      state.requests = [];
      state.answer = next;
    },
    get requests() {
      return state.requests;
    },
  };
}

/** The parts of two exchanges that must agree: method, path, auth scheme, content type, field names and types. */
export function comparable({ method, path, auth, contentType, shape }: Captured) {
  return { method, path, auth, contentType, shape };
}

async function capture(req: IncomingMessage): Promise<Captured> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const url = new URL(req.url ?? '/', 'http://capture');
  // A content type on a GET without a body says nothing (the fal client sends one): not compared.
  const contentType = raw.length ? (req.headers['content-type']?.split(';')[0]?.trim().toLowerCase() ?? null) : null;
  const authorization = req.headers.authorization;
  const auth = authorization ? (authorization.split(' ')[0] ?? null) : req.headers['x-key'] ? 'x-key' : null;
  const body: Record<string, unknown> = {};
  const shape: Record<string, string> = {};
  if (contentType === 'application/json' && raw.length) {
    for (const [k, v] of Object.entries(JSON.parse(raw.toString('utf8')) as Record<string, unknown>)) {
      if (v === undefined || v === null) continue;
      body[k] = v;
      shape[k] = Array.isArray(v) ? 'array' : typeof v;
    }
  } else if (contentType === 'multipart/form-data') {
    const form = await new Response(raw, { headers: { 'content-type': req.headers['content-type']! } }).formData();
    for (const [k, v] of form.entries()) {
      shape[k] = typeof v === 'string' ? 'string' : 'file';
      if (typeof v === 'string') body[k] = v;
    }
  }
  return { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), auth, contentType, shape, body };
}

/** How a run ended, in the words both sides can be compared in. */
export type Outcome = 'succeeded' | 'failed' | 'moderated' | 'running';

/** Our adapter's error or result as an {@link Outcome}. */
export function outcomeOf(result: { image?: unknown } | { reason?: string; code?: string }): Outcome {
  if ('image' in result && result.image) return 'succeeded';
  const { reason, code } = result as { reason?: string; code?: string };
  if (code === 'timeout') return 'running';
  return reason === 'moderated_input' || reason === 'moderated_output' ? 'moderated' : 'failed';
}
