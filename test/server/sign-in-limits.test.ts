import { randomBytes, scrypt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createServerApp, type ServerAuthOptions } from '../../examples/server/app.js';
import { clientAddress } from '../../examples/server/client-address.js';
import { createOfflineProvider } from '../../src/adapters/providers/offline/index.js';

const dir = mkdtempSync(join(tmpdir(), 'igk-sign-in-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A server whose sessions and limits run on a clock the test moves; the client address comes from X-Forwarded-For. */
async function start(auth: ServerAuthOptions = {}) {
  const clock = { now: Date.now() };
  const server = await createServerApp({
    dataDir: join(dir, randomBytes(4).toString('hex')),
    provider: createOfflineProvider({ size: 32 }),
    startingCredits: 0,
    auth: { trustedProxyHops: 1, now: () => clock.now, ...auth },
  });
  const post = (path: string, body: unknown, from = '198.51.100.1', token?: string) =>
    server.app.request(path, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-forwarded-for': from,
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
    });
  const signIn = (username: string, password: string, from?: string) => post('/auth/sign-in', { username, password }, from);
  return { server, clock, post, signIn };
}

const answer = async (response: Response) => [response.status, response.headers.get('retry-after')] as const;

describe('reference server sign-in limits', () => {
  it('wrong passwords for one username back off 1 s, 2 s, 4 s (429, Retry-After), and a success starts it over', async () => {
    const { server, clock, signIn } = await start({ limits: { freeFailuresPerUsername: 3 } });
    expect((await signIn('erin', 'the right password')).status).toBe(200);
    const wrong = () => signIn('erin', 'a wrong password');
    expect([await answer(await wrong()), await answer(await wrong()), await answer(await wrong())]).toEqual([
      [401, null],
      [401, null],
      [401, null],
    ]);
    const retryAfter: string[] = [];
    for (const waitMs of [1000, 2000, 4000]) {
      const refused = await wrong();
      expect(refused.status).toBe(429);
      expect(await refused.json()).toMatchObject({ code: 'rate_limited' });
      retryAfter.push(refused.headers.get('retry-after')!);
      // Even the right password waits out the backoff.
      expect((await signIn('erin', 'the right password')).status).toBe(429);
      clock.now += waitMs;
      if (waitMs < 4000) expect((await wrong()).status).toBe(401);
    }
    expect(retryAfter).toEqual(['1', '2', '4']);
    // Another username is not slowed down by erin's.
    expect((await signIn('frank', 'franks password')).status).toBe(200);
    expect((await signIn('erin', 'the right password')).status).toBe(200);
    expect([await answer(await wrong()), await answer(await wrong()), await answer(await wrong()), await answer(await wrong())]).toEqual([
      [401, null],
      [401, null],
      [401, null],
      [429, '1'],
    ]);
    await server.close();
  });

  it('wrong passwords from one address back off across usernames; other addresses are not slowed down', async () => {
    const { server, signIn } = await start({ limits: { freeFailuresPerAddress: 3, freeFailuresPerUsername: 100 } });
    for (const name of ['gus', 'hal', 'ivy', 'jon']) expect((await signIn(name, 'the right password', '203.0.113.50')).status).toBe(200);
    const statuses = [];
    // The client writes what it likes left of what our proxy appended: the right-most entry counts.
    for (const [i, name] of ['gus', 'hal', 'ivy', 'jon'].entries()) {
      statuses.push((await signIn(name, 'a wrong password', `10.0.0.${i}, 203.0.113.7`)).status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect((await signIn('jon', 'a wrong password', '203.0.113.8')).status).toBe(401);
    // A success from the address does not clear its counter.
    expect((await signIn('gus', 'the right password', '198.18.0.1, 203.0.113.7')).status).toBe(429);
    await server.close();
  });

  it('caps the accounts one address creates per hour (429), not its sign-ins, nor other addresses', async () => {
    const { server, clock, signIn } = await start({ limits: { signupsPerHour: 2 } });
    expect((await signIn('kim', 'kims password', '192.0.2.1')).status).toBe(200);
    expect((await signIn('lee', 'lees password', '192.0.2.1')).status).toBe(200);
    const third = await signIn('max', 'maxs password', '192.0.2.1');
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(3500);
    expect(Number(third.headers.get('retry-after'))).toBeLessThanOrEqual(3600);
    expect((await signIn('kim', 'kims password', '192.0.2.1')).status).toBe(200);
    expect((await signIn('max', 'maxs password', '192.0.2.2')).status).toBe(200);
    clock.now += 3_600_000;
    expect((await signIn('ned', 'neds password', '192.0.2.1')).status).toBe(200);
    await server.close();
  });

  it('an unknown username costs the time of a known one: a new account and a refused one both run scrypt once', async () => {
    const { server, signIn } = await start({ limits: { signupsPerHour: 3, freeFailuresPerUsername: 100 } });
    expect((await signIn('olga', 'the right password', '192.0.2.9')).status).toBe(200);
    const timed = async (call: () => Response | Promise<Response>, status: number) => {
      const started = performance.now();
      expect((await call()).status).toBe(status);
      return performance.now() - started;
    };
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const scryptMs: number[] = [];
    const known: number[] = [];
    const created: number[] = [];
    const refused: number[] = [];
    const hash = promisify(scrypt) as (p: string, s: Buffer, n: number, o: object) => Promise<Buffer>;
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await hash('a password', randomBytes(16), 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
      scryptMs.push(performance.now() - started);
      known.push(await timed(() => signIn('olga', 'a wrong password', '192.0.2.10'), 401));
      created.push(await timed(() => signIn(`new${i}`, 'a password', `192.0.2.${20 + i}`), 200));
      refused.push(await timed(() => signIn(`over${i}`, 'a password', '192.0.2.9'), i < 2 ? 200 : 429));
    }
    const base = median(scryptMs);
    for (const series of [known, created, refused.slice(2)]) expect(median(series)).toBeGreaterThan(0.7 * base);
    // Each path runs scrypt once, not twice: within a factor of 1.6 of one another.
    expect(median(created) / median(known)).toBeLessThan(1.6);
    expect(median(known) / median(created)).toBeLessThan(1.6);
    expect(median(refused.slice(2)) / median(known)).toBeLessThan(1.6);
    await server.close();
  });
});

describe('client address', () => {
  it('is the socket peer unless proxies are trusted; then the right-most hop they did not write', () => {
    expect(clientAddress('203.0.113.1', '1.1.1.1', 0)).toBe('203.0.113.1');
    expect(clientAddress('10.0.0.2', '1.1.1.1, 198.51.100.4', 1)).toBe('198.51.100.4');
    expect(clientAddress('10.0.0.2', '1.1.1.1, 198.51.100.4, 10.0.0.1', 2)).toBe('198.51.100.4');
    expect(clientAddress('10.0.0.2', '198.51.100.4', 2)).toBe('10.0.0.2');
    expect(clientAddress(undefined, undefined, 1)).toBe('unknown');
    expect(clientAddress('::ffff:192.0.2.1', undefined, 0)).toBe('192.0.2.1');
    expect(clientAddress('2001:db8:1:2:aaaa::1', undefined, 0)).toBe('2001:db8:1:2::/64');
    expect(clientAddress('2001:db8::1', undefined, 0)).toBe('2001:db8:0:0::/64');
  });
});
