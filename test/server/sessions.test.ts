import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createServerApp } from '../../examples/server/app.js';
import { createOfflineProvider } from '../../src/adapters/providers/offline/index.js';

const dir = mkdtempSync(join(tmpdir(), 'igk-sessions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HOUR = 3_600_000;

async function start(sessionDays?: number) {
  const clock = { now: Date.now() };
  const server = await createServerApp({
    dataDir: join(dir, randomBytes(4).toString('hex')),
    provider: createOfflineProvider({ size: 32 }),
    auth: { ...(sessionDays ? { sessionDays } : {}), now: () => clock.now },
  });
  const post = (path: string, body: unknown, token?: string) =>
    server.app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  const signIn = async (username: string, password: string) => {
    const response = await post('/auth/sign-in', { username, password });
    expect(response.status).toBe(200);
    return ((await response.json()) as { token: string }).token;
  };
  const credits = async (token: string) =>
    (await server.app.request('/api/credits', { headers: { authorization: `Bearer ${token}` } })).status;
  return { server, clock, post, signIn, credits };
}

describe('reference server sessions', () => {
  it('a token expires after the configured days without use; each use slides it on', async () => {
    const { server, clock, signIn, credits } = await start(1);
    const used = await signIn('pia', 'pias password');
    const idle = await signIn('pia', 'pias password');
    for (let i = 0; i < 3; i++) {
      clock.now += 20 * HOUR;
      expect(await credits(used)).toBe(200); // 20, 40, 60 hours after sign-in, each within a day of the last use
    }
    expect(await credits(idle)).toBe(401);
    clock.now += 24 * HOUR;
    expect(await credits(used)).toBe(401);
    await server.close();
  });

  it('defaults to 30 days', async () => {
    const { server, clock, signIn, credits } = await start();
    const token = await signIn('quin', 'quins password');
    clock.now += 29 * 24 * HOUR;
    expect(await credits(token)).toBe(200);
    clock.now += 30 * 24 * HOUR;
    expect(await credits(token)).toBe(401);
    await server.close();
  });

  it("POST /auth/sign-out-all revokes every token of the user and no one else's", async () => {
    const { server, post, signIn, credits } = await start();
    const [a, b, other] = [
      await signIn('rae', 'raes password'),
      await signIn('rae', 'raes password'),
      await signIn('sol', 'sols password'),
    ];
    expect((await post('/auth/sign-out-all', {})).status).toBe(401);
    expect((await post('/auth/sign-out-all', {}, a)).status).toBe(204);
    expect([await credits(a), await credits(b), await credits(other)]).toEqual([401, 401, 200]);
    await server.close();
  });

  it('POST /auth/password checks the current password, revokes every token and answers one new one', async () => {
    const { server, post, signIn, credits } = await start();
    const [a, b] = [await signIn('tom', 'old password'), await signIn('tom', 'old password')];
    expect((await post('/auth/password', { current_password: 'wrong password', new_password: 'new password' }, a)).status).toBe(401);
    expect((await post('/auth/password', { current_password: 'old password', new_password: 'short' }, a)).status).toBe(400);
    expect((await post('/auth/password', { current_password: 'old password', new_password: 'new password' })).status).toBe(401);
    expect([await credits(a), await credits(b)]).toEqual([200, 200]);
    const changed = await post('/auth/password', { current_password: 'old password', new_password: 'new password' }, a);
    expect(changed.status).toBe(200);
    const { token, username } = (await changed.json()) as { token: string; username: string };
    expect(username).toBe('tom');
    expect([await credits(a), await credits(b), await credits(token)]).toEqual([401, 401, 200]);
    expect((await post('/auth/sign-in', { username: 'tom', password: 'old password' })).status).toBe(401);
    expect((await post('/auth/sign-in', { username: 'tom', password: 'new password' })).status).toBe(200);
    await server.close();
  });
});
