import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOfflineProvider } from '../../src/adapters/providers/offline/index.js';
import { createServerApp } from '../../examples/server/app.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'igk-server-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const start = () => createServerApp({ dataDir: join(dir, 'data'), provider: createOfflineProvider({ size: 32 }) });
const signIn = (app: Awaited<ReturnType<typeof start>>['app'], username: string, password: string) =>
  app.request('/auth/sign-in', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });

describe('reference server sign-in', () => {
  it('creates the user on first sign-in, grants the starting credits once, and rejects a wrong password', async () => {
    const server = await start();
    const first = await signIn(server.app, 'carol', 'a good password');
    expect(first.status).toBe(200);
    const { token, created } = (await first.json()) as { token: string; created: boolean };
    expect(created).toBe(true);
    const again = (await (await signIn(server.app, 'carol', 'a good password')).json()) as { token: string; created: boolean };
    expect(again.created).toBe(false);
    expect(again.token).not.toBe(token);

    const credits = await server.app.request('/api/credits', { headers: { authorization: `Bearer ${token}` } });
    expect(((await credits.json()) as { balance: number }).balance).toBe(20);

    const wrong = await signIn(server.app, 'carol', 'not the password');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ code: 'unauthorized' });
    expect((await signIn(server.app, 'bad:name', 'a good password')).status).toBe(400);
    expect((await signIn(server.app, 'dave', 'short')).status).toBe(400);
    expect((await server.app.request('/api/credits', { headers: { authorization: 'Bearer not-a-real-token-at-all-123' } })).status).toBe(
      401,
    );

    // Users live in the engine's database, not a file beside it; neither the password nor the
    // token is in it (its WAL included).
    expect(existsSync(join(dir, 'data', 'users.sqlite'))).toBe(false);
    const db = Buffer.concat(
      ['imagegen.sqlite', 'imagegen.sqlite-wal']
        .filter((f) => existsSync(join(dir, 'data', f)))
        .map((f) => readFileSync(join(dir, 'data', f))),
    );
    expect(db.includes(Buffer.from('server_tokens'))).toBe(true);
    expect(db.includes(Buffer.from(token))).toBe(false);
    expect(db.includes(Buffer.from('a good password'))).toBe(false);

    // A batch, to find again after the restart.
    const auth = { authorization: `Bearer ${again.token}`, 'content-type': 'application/json' };
    const submitted = (await (
      await server.app.request('/api/batch/generate', {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ prompts: ['a kept picture'] }),
      })
    ).json()) as { batch_id: string };
    await server.engine.batches.waitFor('carol', submitted.batch_id);
    const statusUrl = `/api/batch/status?batch_id=${submitted.batch_id}`;
    const before = (await (await server.app.request(statusUrl, { headers: auth })).json()) as {
      tasks: Array<{ result: { imageUrl: string } }>;
    };
    const urlBeforeRestart = before.tasks[0]!.result.imageUrl;

    const out = await server.app.request('/auth/sign-out', { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(out.status).toBe(204);
    expect((await server.app.request('/api/credits', { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    await server.close();

    // Users, tokens, credits (granted once), batches and images survive a restart.
    const restarted = await start();
    const kept = await restarted.app.request('/api/credits', { headers: { authorization: `Bearer ${again.token}` } });
    expect(kept.status).toBe(200);
    expect(((await kept.json()) as { balance: number }).balance).toBe(19);
    await signIn(restarted.app, 'carol', 'a good password');
    const batch = (await (await restarted.app.request(`/api/batch/status?batch_id=${submitted.batch_id}`, { headers: auth })).json()) as {
      tasks: Array<{ result: { imageUrl: string } }>;
    };
    const image = await restarted.app.request(batch.tasks[0]!.result.imageUrl);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    // The URL secret is kept in the data dir: a URL handed out before the restart still loads.
    expect((await restarted.app.request(urlBeforeRestart)).status).toBe(200);
    const afterSignIn = await restarted.app.request('/api/credits', { headers: auth });
    expect(((await afterSignIn.json()) as { balance: number }).balance).toBe(19);
    expect((await signIn(restarted.app, 'carol', 'not the password')).status).toBe(401);
    await restarted.close();
  });

  it('serves the page, its script and the OpenAPI document', async () => {
    const server = await start();
    const page = await server.app.request('/');
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<script type="module" src="/app.js">');
    const script = await server.app.request('/app.js');
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await script.text()).length).toBeGreaterThan(10_000);
    expect((await server.app.request('/api/openapi.json')).status).toBe(200);
    await server.close();
  });
});
