import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerType } from '@hono/node-server';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsRun, launchChromium, serveOnLoopback } from './chromium.js';
import { createServerApp } from '../../examples/server/app.js';
import { createJsonLogger } from '../../examples/server/json-logger.js';
import { createOfflineProvider } from '../../src/adapters/providers/offline/index.js';

describe.skipIf(!browserTestsRun)('the operator page (/admin) in Chromium', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof createServerApp>>;
  let http: ServerType;
  let context: BrowserContext;
  let url: string;
  const savedAdmins = process.env.IMAGEGEN_ADMINS;
  const violations: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'igk-admin-page-'));
    process.env.IMAGEGEN_ADMINS = 'root';
    server = await createServerApp({
      dataDir: join(dir, 'data'),
      logger: createJsonLogger({ write: () => {} }),
      provider: createOfflineProvider({
        latencyMs: 2500,
        size: 32,
        failWhen: (input) =>
          input.prompt.includes('cursed') ? { reason: 'provider_error', message: 'The provider refused this prompt' } : null,
      }),
    });
    ({ http, origin: url } = await serveOnLoopback(server.app.fetch));
    context = await launchChromium(join(dir, 'profile'), {
      acceptDownloads: true,
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    http?.close();
    await server?.close({ graceMs: 0 });
    if (savedAdmins === undefined) delete process.env.IMAGEGEN_ADMINS;
    else process.env.IMAGEGEN_ADMINS = savedAdmins;
    rmSync(dir, { recursive: true, force: true });
  });

  async function signIn(username: string): Promise<string> {
    const answer = await fetch(`${url}/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: 'a good password' }),
    });
    return ((await answer.json()) as { token: string }).token;
  }

  /** A page signed in as the studio page leaves it: the token in localStorage. */
  async function pageAs(token: string): Promise<Page> {
    const page = await context.newPage();
    page.on('console', (m) => {
      if (/content.security.policy|refused to/i.test(m.text())) violations.push(m.text());
    });
    await page.goto(`${url}/styles.css`);
    await page.evaluate((t) => localStorage.setItem('imagegen.token', t), token);
    return page;
  }

  it('serves the page and its script under the CSP of the other pages (no inline script)', async () => {
    for (const path of ['/admin', '/admin/admin.js']) {
      const response = await fetch(`${url}${path}`);
      expect(response.status).toBe(200);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
    }
    expect(await (await fetch(`${url}/admin`)).text()).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it('an admin sees the figures of the batch it just submitted: running tasks, the failure and its reason, its ledger, and can requeue and export', async () => {
    const token = await signIn('root');
    const submitted = await fetch(`${url}/api/batch/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompts: ['a fox', 'a cursed fox', 'an owl'] }),
    });
    const { batch_id: batchId } = (await submitted.json()) as { batch_id: string };
    const page = await pageAs(token);
    const page404s: number[] = [];
    page.on('response', (r) => r.url().includes('/admin/api/') && r.status() === 404 && page404s.push(r.status()));
    await page.goto(`${url}/admin`);

    const text = (id: string) => page.getByTestId(id).textContent();
    // While the batch runs: its three tasks are running (or waiting) on the queue.
    await expect.poll(async () => Number(await text('running')) + Number(await text('waiting')), { timeout: 2000 }).toBe(3);
    // Once it ends: nothing runs, and its failure is listed with the provider's reason.
    await expect.poll(() => text('running'), { timeout: 10_000 }).toBe('0');
    const failure = page.getByTestId('failures').locator('tr', { hasText: batchId });
    await expect.poll(() => failure.textContent(), { timeout: 5000 }).toContain('The provider refused this prompt');
    expect(await failure.locator('td').nth(2).textContent()).toBe('1');

    // The admin's own ledger: the 3-credit charge of the batch.
    await page.getByTestId('ledger-user').fill('root');
    await page.getByTestId('ledger-show').click();
    await expect.poll(() => text('balance')).toBe('17');
    const charge = page.getByTestId('ledger').locator('tr', { hasText: batchId });
    expect(await charge.locator('td').nth(1).textContent()).toBe('charge');
    expect(await charge.locator('td').nth(2).textContent()).toBe('-3');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('ledger-export').click()]);
    expect(download.suggestedFilename()).toBe('ledger-root.csv');
    expect(readFileSync((await download.path())!, 'utf8')).toContain(batchId);

    // Requeue the failed task: retried at no charge.
    await failure.getByTestId('requeue').click();
    await expect.poll(() => text('admin-message')).toContain('retried');

    // Cancel another batch of the admin's while its tasks run.
    const second = await fetch(`${url}/api/batch/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompts: ['a slow cat', 'a slow dog'] }),
    });
    const { batch_id: secondId } = (await second.json()) as { batch_id: string };
    await page.getByTestId('cancel-batch-id').fill(secondId);
    await page.getByTestId('cancel').click();
    await expect.poll(() => text('admin-message')).toBe('Cancelled tasks: 0, 1');
    const cancelled = (await (
      await fetch(`${url}/api/batch/status?batch_id=${encodeURIComponent(secondId)}`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { tasks: Array<{ status: string }> };
    expect(cancelled.tasks.map((t) => t.status)).toEqual(['cancelled', 'cancelled']);
    expect(page404s).toEqual([]);
    expect(violations).toEqual([]);
    await page.close();
  }, 60_000);

  it('a signed-in user who is not an admin gets 404: from every admin route and on the page', async () => {
    const token = await signIn('eve');
    const page = await pageAs(token);
    const overview = page.waitForResponse((r) => r.url().endsWith('/admin/api/overview'));
    await page.goto(`${url}/admin`);
    expect((await overview).status()).toBe(404);
    await page.getByTestId('not-found').waitFor();
    expect(await page.locator('#operator').isHidden()).toBe(true);
    const direct = await fetch(`${url}/admin/api/tasks/failed`, { headers: { authorization: `Bearer ${token}` } });
    expect(direct.status).toBe(404);
    expect(violations).toEqual([]);
    await page.close();
  }, 30_000);
});
