import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createGuardedFetcher, type GuardedFetcherOptions } from '../../src/adapters/input/guarded-fetch/index.js';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../../src/core/errors/index.js';
import { makeImage } from '../image-input/fixtures.js';

let server: http.Server;
let port: number;
let connections = 0;
let requests: string[] = [];
let png: Uint8Array;
let bigBytesSent = 0;

beforeAll(async () => {
  png = await makeImage('png', 20, 10);
  server = http.createServer((req, res) => {
    requests.push(req.url!);
    const url = new URL(req.url!, 'http://x');
    switch (url.pathname) {
      case '/image.png':
        res.writeHead(200, { 'content-type': 'image/png' }).end(png);
        return;
      case '/gzip.png':
        res.writeHead(200, { 'content-type': 'image/png', 'content-encoding': 'gzip' }).end(gzipSync(png));
        return;
      case '/html-as-png':
        res.writeHead(200, { 'content-type': 'image/png' }).end('<html><script>alert(1)</script></html>');
        return;
      case '/png-as-jpeg':
        res.writeHead(200, { 'content-type': 'image/jpeg' }).end(png);
        return;
      case '/redirect':
        res.writeHead(302, { location: url.searchParams.get('to')! }).end();
        return;
      case '/loop':
        res.writeHead(302, { location: `/loop?n=${Number(url.searchParams.get('n') ?? 0) + 1}` }).end();
        return;
      case '/big': {
        // Chunked, with a Content-Length lie in the other direction not possible; the client must count.
        res.writeHead(200, { 'content-type': 'image/png' });
        const chunk = Buffer.alloc(64 * 1024, 1);
        chunk.set(png);
        const pump = () => {
          while (bigBytesSent < 50 * 1024 * 1024) {
            bigBytesSent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('close', () => res.removeAllListeners('drain'));
        pump();
        return;
      }
      case '/gzip-bomb':
        res
          .writeHead(200, { 'content-type': 'image/png', 'content-encoding': 'gzip' })
          .end(gzipSync(Buffer.concat([png, Buffer.alloc(20 * 1024 * 1024)])));
        return;
      case '/slow':
        res.writeHead(200, { 'content-type': 'image/png' });
        res.write(png.slice(0, 16));
        return; // never ends
      default:
        res.writeHead(404).end();
    }
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const connectSpy = vi.spyOn(net.Socket.prototype, 'connect');
afterEach(() => {
  connections = 0;
  requests = [];
  connectSpy.mockClear();
});

/** `allowed.test` is the local server, trusted by name; `target.test` resolves to whatever a test says. */
function fetcher(options: GuardedFetcherOptions & { target?: string } = {}) {
  return createGuardedFetcher({
    allowHttp: true,
    allowHosts: ['allowed.test'],
    resolve: async (host) => {
      if (host === 'allowed.test' || host === 'localhost') return [{ address: '127.0.0.1', family: 4 }];
      if (host === 'target.test' && options.target) return [{ address: options.target, family: options.target.includes(':') ? 6 : 4 }];
      throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    },
    ...options,
  });
}
const signal = () => new AbortController().signal;
async function refusal(promise: Promise<unknown>): Promise<ValidationError & { details: Record<string, unknown> }> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as ValidationError).field).toBe('input_image');
  return error as ValidationError & { details: Record<string, unknown> };
}

describe('guarded fetcher', () => {
  it('fetches an image from an allowed host and runs the upload check on it', async () => {
    const image = await fetcher()(`http://allowed.test:${port}/image.png`, { signal: signal() });
    expect(image.contentType).toBe('image/png');
    expect(Buffer.from(image.bytes).equals(Buffer.from(png))).toBe(true);
    expect(connections).toBe(1);
  });

  it('decodes gzip bodies', async () => {
    const image = await fetcher()(`http://allowed.test:${port}/gzip.png`, { signal: signal() });
    expect(image.bytes.byteLength).toBe(png.byteLength);
  });

  it.each(['127.0.0.1', '127.1', '0x7f.1', '0177.0.0.1', '2130706433', '[::ffff:7f00:1]', '[::ffff:127.0.0.1]', '[::1]', 'localhost'])(
    'refuses the loopback spelling %s without connecting (the local server sees nothing)',
    async (host) => {
      const error = await refusal(createGuardedFetcher({ allowHttp: true })(`http://${host}:${port}/image.png`, { signal: signal() }));
      expect(error.details.reason).toBe('blocked_address');
      expect(connections).toBe(0);
      expect(connectSpy).not.toHaveBeenCalled();
    },
  );

  it.each([
    '10.0.0.7',
    '172.20.1.1',
    '192.168.0.10',
    '169.254.169.254',
    '169.254.10.10',
    '100.64.1.1',
    '224.0.0.251',
    '0.0.0.0',
    '255.255.255.255',
    '240.1.2.3',
    '::1',
    '::',
    'fe80::1',
    'fc00::5',
    'fd00:ec2::254',
    'ff02::1',
    '::ffff:192.168.1.1',
    '64:ff9b::a9fe:a9fe',
    '64:ff9b::7f00:1',
  ])('refuses a host name that resolves to %s before any socket connects, and the same address as a literal', async (address) => {
    const byName = await refusal(fetcher({ target: address })('https://target.test/image.png', { signal: signal() }));
    expect(byName.details).toMatchObject({ reason: 'blocked_address', address });
    const literal = address.includes(':') ? `[${address}]` : address;
    const byLiteral = await refusal(fetcher()(`https://${literal}/image.png`, { signal: signal() }));
    expect(byLiteral.details.reason).toBe('blocked_address');
    expect(connectSpy).not.toHaveBeenCalled();
    expect(connections).toBe(0);
  });

  it('refuses a host whose DNS answer mixes a public and a private address (rebinding), connecting nowhere', async () => {
    const resolve = vi.fn(async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ]);
    const error = await refusal(createGuardedFetcher({ resolve })('https://rebind.test/x.png', { signal: signal() }));
    expect(error.details.reason).toBe('blocked_address');
    expect(resolve).toHaveBeenCalledTimes(1);
    expect(connectSpy).not.toHaveBeenCalled();
  });

  it('connects to the address it checked: the name is resolved once per hop and never again by the socket', async () => {
    let calls = 0;
    const resolve = async (_host: string) => {
      calls++;
      // A rebinding resolver: public for the check, loopback for any later lookup.
      return calls === 1 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '10.0.0.1', family: 4 }];
    };
    const image = await createGuardedFetcher({ resolve, allowHttp: true, allowHosts: ['pinned.test'] })(
      `http://pinned.test:${port}/image.png`,
      {
        signal: signal(),
      },
    );
    expect(image.contentType).toBe('image/png');
    expect(calls).toBe(1);
  });

  it.each([
    'file:///etc/passwd',
    'data:image/png;base64,iVBORw0KGgo=',
    'gopher://allowed.test:70/_GET',
    'ftp://allowed.test/x.png',
    'javascript:alert(1)',
    'not a url',
  ])('refuses the URL %s by its scheme without connecting', async (url) => {
    const error = await refusal(fetcher()(url, { signal: signal() }));
    expect(error.details.reason).toBe('scheme');
    expect(connectSpy).not.toHaveBeenCalled();
  });

  it('refuses http: unless allowed, and URLs with credentials', async () => {
    const strict = createGuardedFetcher({ allowHosts: ['allowed.test'] });
    expect((await refusal(strict(`http://allowed.test:${port}/image.png`, { signal: signal() }))).details.reason).toBe('scheme');
    expect((await refusal(fetcher()(`http://user:pw@allowed.test:${port}/image.png`, { signal: signal() }))).details.reason).toBe(
      'credentials',
    );
    expect(connections).toBe(0);
  });

  it('checks every redirect hop: an allowed host redirecting to a blocked one is refused before the second connection', async () => {
    for (const to of [
      `http://127.0.0.1:${port}/image.png`,
      `http://localhost:${port}/image.png`,
      'https://target.test/image.png',
      'file:///etc/passwd',
    ]) {
      requests = [];
      connections = 0;
      const error = await refusal(
        fetcher({ target: '10.0.0.1' })(`http://allowed.test:${port}/redirect?to=${encodeURIComponent(to)}`, { signal: signal() }),
      );
      expect(['blocked_address', 'scheme']).toContain(error.details.reason);
      expect(requests).toEqual([`/redirect?to=${encodeURIComponent(to)}`]);
      expect(connections).toBe(1);
    }
  });

  it('follows up to maxRedirects redirects and refuses more', async () => {
    const ok = await fetcher()(`http://allowed.test:${port}/redirect?to=/image.png`, { signal: signal() });
    expect(ok.contentType).toBe('image/png');
    const error = await refusal(fetcher({ maxRedirects: 3 })(`http://allowed.test:${port}/loop`, { signal: signal() }));
    expect(error.details.reason).toBe('redirects');
    expect(requests.filter((r) => r.startsWith('/loop'))).toHaveLength(4);
  });

  it('counts the body while it streams and abandons it over the cap (no Content-Length to trust)', async () => {
    bigBytesSent = 0;
    const error = await fetcher({ imageLimits: { maxBytes: 1024 * 1024 } })(`http://allowed.test:${port}/big`, { signal: signal() }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(bigBytesSent).toBeLessThan(20 * 1024 * 1024);
  });

  it('caps compressed bodies after decoding (a gzip bomb)', async () => {
    const error = await fetcher()(`http://allowed.test:${port}/gzip-bomb`, { signal: signal() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLargeError);
  });

  it('gives up on a body that stalls, at the total timeout', async () => {
    const started = Date.now();
    const error = await refusal(fetcher({ timeoutMs: 300 })(`http://allowed.test:${port}/slow`, { signal: signal() }));
    expect(error.details.reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('gives up at the connect timeout when the name does not resolve in time', async () => {
    const hanging = createGuardedFetcher({ connectTimeoutMs: 100, resolve: () => new Promise(() => {}) });
    const error = await refusal(hanging('https://hang.test/x.png', { signal: signal() }));
    expect(error.details.reason).toBe('connect_timeout');
  });

  it('stops when the caller aborts', async () => {
    const controller = new AbortController();
    const pending = fetcher()(`http://allowed.test:${port}/slow`, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('client went away')), 50);
    await expect(pending).rejects.toThrow('client went away');
  });

  it('runs the upload check on what it fetched: HTML served as PNG, PNG served as JPEG', async () => {
    await expect(fetcher()(`http://allowed.test:${port}/html-as-png`, { signal: signal() })).rejects.toBeInstanceOf(
      UnsupportedMediaTypeError,
    );
    await expect(fetcher()(`http://allowed.test:${port}/png-as-jpeg`, { signal: signal() })).rejects.toBeInstanceOf(
      UnsupportedMediaTypeError,
    );
  });

  it('reports a non-2xx answer with its status', async () => {
    const error = await refusal(fetcher()(`http://allowed.test:${port}/missing`, { signal: signal() }));
    expect(error.details).toMatchObject({ reason: 'http_status', status: 404 });
  });
});
