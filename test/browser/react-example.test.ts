import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerType } from '@hono/node-server';
import type { BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsRun, launchChromium, serveOnLoopback } from './chromium.js';
import { createOfflineProvider } from '../../src/adapters/providers/offline/index.js';
import { buildReactExample } from '../../examples/react/build.js';
import { createReactExampleServer } from '../../examples/react/serve.js';

describe.skipIf(!browserTestsRun)('examples/react, built with Vite, in Chromium against the reference server', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof createReactExampleServer>>;
  let http: ServerType;
  let context: BrowserContext;
  let page: Page;
  let url: string;
  /** CSP violations and page errors: the built page must run under the server's strict CSP. */
  const problems: string[] = [];
  /** Answers of 400 and more, as `METHOD path status`. */
  const failures: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'igk-react-'));
    await buildReactExample(join(dir, 'dist'));
    server = await createReactExampleServer(join(dir, 'dist'), {
      dataDir: join(dir, 'data'),
      provider: createOfflineProvider({ latencyMs: 400, size: 128 }),
    });
    let origin: string;
    ({ http, origin } = await serveOnLoopback(server.app.fetch));
    url = `${origin}/`;
    context = await launchChromium(join(dir, 'profile'), {
      viewport: { width: 1200, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      const text = message.text();
      // Failed requests are checked one by one below, by their answers.
      if (/^Failed to load resource/.test(text)) return;
      if (message.type() === 'error' || /content.security.policy|refused to/i.test(text)) problems.push(text);
    });
    page.on('response', (response) => {
      const path = new URL(response.url()).pathname;
      if (response.status() >= 400 && path !== '/favicon.ico') failures.push(`${response.request().method()} ${path} ${response.status()}`);
    });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    http?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const credits = () => page.getByTestId('credits').textContent();

  it('serves the built page and its assets with the strict CSP', async () => {
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await response.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeTruthy();
    const asset = await fetch(new URL(script!, url));
    expect(asset.headers.get('content-type')).toContain('javascript');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(new URL('/assets/../package.json', url))).status).toBe(404);
  });

  it('signs up a new user with 20 credits, and signs the same user in again', async () => {
    await page.goto(url);
    await page.getByTestId('username').fill('react-user');
    await page.getByTestId('password').fill('correct horse battery');
    await page.getByTestId('sign-in').click();
    await expect.poll(credits).toBe('20');
    await page.getByTestId('sign-out').click();
    await page.getByTestId('password').fill('wrong password!');
    await page.getByTestId('username').fill('react-user');
    await page.getByTestId('sign-in').click();
    await expect.poll(() => page.getByTestId('error').textContent()).toBeTruthy();
    await page.getByTestId('password').fill('correct horse battery');
    await page.getByTestId('sign-in').click();
    await expect.poll(credits).toBe('20'); // the welcome grant is given once
  });

  it('submits a batch of 3: every bar moves live to 100 over the event stream, every image loads, 3 credits are gone', async () => {
    const apiCalls: string[] = [];
    const track = (request: { url(): string }) => apiCalls.push(new URL(request.url()).pathname);
    page.on('request', track);
    await page.getByTestId('batch-prompts').fill('A cat on a windowsill\nA dog in the park\nA bird in the sky');
    await page.getByTestId('batch-submit').click();
    await expect.poll(() => page.getByTestId('task').count()).toBe(3);
    const seen = new Set<string>();
    await expect
      .poll(
        async () => {
          const values = await page
            .getByTestId('task-progress')
            .evaluateAll((bars) => bars.map((b) => (b as HTMLElement).dataset.progress ?? ''));
          for (const v of values) seen.add(v);
          return values;
        },
        { timeout: 30_000, interval: 50 },
      )
      .toEqual(['100', '100', '100']);
    expect([...seen].some((v) => Number(v) > 0 && Number(v) < 100)).toBe(true);
    await expect
      .poll(
        () =>
          page
            .getByTestId('task-image')
            .evaluateAll((imgs) => imgs.map((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0)),
        { timeout: 15_000 },
      )
      .toEqual([true, true, true]);
    await expect.poll(() => page.getByTestId('batch-status').textContent()).toContain('completed');
    await expect.poll(credits).toBe('17');
    page.off('request', track);
    expect(apiCalls).toContain('/api/batch/events');
    expect(apiCalls).not.toContain('/api/batch/status');
    expect(await page.getByRole('progressbar', { name: /Progress of image \d: / }).count()).toBe(3);
  }, 60_000);

  it('uploads a picture and transforms it for 2 credits, and the result joins the history', async () => {
    const png = await sharp({ create: { width: 96, height: 64, channels: 3, background: '#3366cc' } })
      .png()
      .toBuffer();
    await page.getByTestId('file-input').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: png });
    await expect.poll(() => page.getByTestId('i2i-stage').textContent()).toBe('uploaded');
    await page.getByTestId('i2i-prompt').fill('make it a watercolor');
    await page.getByTestId('i2i-submit').click();
    const result = page.getByTestId('i2i-image');
    await result.waitFor({ state: 'visible', timeout: 20_000 });
    await expect.poll(() => result.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    expect(await page.getByTestId('i2i-progress').getAttribute('value')).toBe('100');
    await expect.poll(credits).toBe('15');
    await expect.poll(() => page.getByTestId('history').locator('img').count()).toBe(1);
  }, 60_000);

  it('runs a batch of 10, then explains the next one it cannot pay for, charging nothing', async () => {
    const tenPrompts = Array.from({ length: 10 }, (_, i) => `prompt ${i}`).join('\n');
    await page.getByTestId('batch-prompts').fill(tenPrompts);
    await page.getByTestId('batch-submit').click();
    await expect.poll(credits).toBe('5');
    await expect.poll(() => page.getByTestId('task').count()).toBe(10);
    await page.getByTestId('batch-submit').click();
    // The locator's own wait is short, so the poll's timeout is what bounds this.
    const error = () =>
      page
        .getByTestId('error')
        .textContent({ timeout: 500 })
        .catch(() => null);
    await expect.poll(error, { timeout: 15_000 }).toMatch(/Not enough credits: this needs 10 and you have 5/);
    expect(await credits()).toBe('5');
    await expect.poll(() => page.getByTestId('batch-status').textContent(), { timeout: 30_000 }).toContain('completed · 10 of 10');
  }, 60_000);

  it('ran every step without a CSP violation or a page error, and failed only the requests meant to', () => {
    expect(problems).toEqual([]);
    expect(failures).toEqual(['POST /auth/sign-in 401', 'POST /api/batch/generate 402']);
  });
});
