import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerType } from '@hono/node-server';
import type { BrowserContext, Page, Request, Response } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsRun, launchChromium, serveOnLoopback } from './chromium.js';
import { createOfflineProvider } from '../../src/adapters/providers/offline/index.js';
import { createImageUrlSigner } from '../../src/adapters/http/image-url-signer.js';
import { createServerApp } from '../../examples/server/app.js';
import { imageUrlSecretOf } from '../../examples/server/image-url-secret.js';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Violations of impact serious or critical on the page as it is now, as `rule: targets`. */
async function seriousAxeViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol rather than a <script> tag, which the page's CSP
  // (no inline script) would rightly refuse.
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run(): Promise<{ violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: unknown[] }> }> }> };
      }
    ).axe;
    const result = await axe.run();
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => String(n.target)) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.targets.join(', ')}`);
}

const visibleLevelOneHeadings = (page: Page) =>
  page.locator('h1').evaluateAll((headings) => headings.filter((h) => (h as HTMLElement).offsetParent !== null).length);

describe.skipIf(!browserTestsRun)('the reference web page in Chromium', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof createServerApp>>;
  let http: ServerType;
  let context: BrowserContext;
  let page: Page;
  let url: string;
  /** CSP violations the page reported (`securitypolicyviolation`) and console messages about CSP or permissions. */
  const violations: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'igk-browser-'));
    server = await createServerApp({
      dataDir: join(dir, 'data'),
      provider: createOfflineProvider({
        latencyMs: 400,
        size: 256,
        failWhen: (input) =>
          input.prompt.includes('cursed') ? { reason: 'provider_error', message: 'The provider refused this prompt' } : null,
      }),
    });
    let origin: string;
    ({ http, origin } = await serveOnLoopback(server.app.fetch));
    url = `${origin}/`;
    context = await launchChromium(join(dir, 'profile'), {
      viewport: { width: 1280, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    await page.exposeFunction('reportCspViolation', (text: string) => violations.push(text));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        const report = (window as unknown as { reportCspViolation(text: string): void }).reportCspViolation;
        report(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'} (${event.sourceFile}:${event.lineNumber})`);
      });
    });
    page.on('console', (message) => {
      if (/content.security.policy|refused to|permissions.policy/i.test(message.text())) violations.push(message.text());
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    http?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const credits = () => page.getByTestId('credits').textContent();
  const toast = () => page.getByTestId('error');

  it('serves the page and its files with a strict CSP and the other security headers, and no HSTS over plain HTTP', async () => {
    for (const path of ['', 'styles.css', 'app.js']) {
      const response = await fetch(`${url}${path}`);
      const csp = response.headers.get('content-security-policy') ?? '';
      for (const directive of [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
      ]) {
        expect(csp).toContain(directive);
      }
      expect(csp).toMatch(/img-src 'self' blob:(;|$)/);
      expect(csp).not.toContain('unsafe-inline');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('permissions-policy')).toContain('camera=()');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('strict-transport-security')).toBeNull();
    }
  });

  it('shows the signed-out page with one level-one heading and no serious or critical accessibility violation', async () => {
    await page.goto(url);
    await page.getByTestId('sign-in').waitFor();
    expect(await visibleLevelOneHeadings(page)).toBe(1);
    expect(await seriousAxeViolations(page)).toEqual([]);
  });

  it('signs in a new user, who starts with 20 credits', async () => {
    await page.goto(url);
    await page.getByTestId('username').fill('browser-user');
    await page.getByTestId('password').fill('correct horse battery');
    await page.getByTestId('sign-in').click();
    await expect.poll(credits).toBe('20');
  });

  it('uploads an image and transforms it with the strength slider for 2 credits', async () => {
    const before = Number(await credits());

    // Upload (drag-and-drop's file input) and image-to-image with the strength slider.
    const png = await sharp({ create: { width: 96, height: 64, channels: 3, background: '#3366cc' } })
      .png()
      .toBuffer();
    await page.getByTestId('file-input').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: png });
    await page.locator('#upload-preview').waitFor({ state: 'visible' });
    await page.getByTestId('strength').evaluate((input: HTMLInputElement) => {
      input.value = '0.7';
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await expect.poll(() => page.locator('#strength-value').textContent()).toBe('0.70');
    await page.getByTestId('i2i-prompt').fill('make it a watercolor');
    await page.getByTestId('i2i-submit').click();
    const result = page.getByTestId('i2i-image');
    await result.waitFor({ state: 'visible', timeout: 20_000 });
    expect(await result.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    expect(await result.getAttribute('src')).toMatch(/^\/api\/images\/[^?]+\?exp=\d+&sig=[\w-]{43}$/); // the response's URL, no blob
    await expect.poll(credits).toBe(String(before - 2));
    expect(await visibleLevelOneHeadings(page)).toBe(1);
    expect(await seriousAxeViolations(page)).toEqual([]);
  }, 60_000);

  it('runs a batch of 3: every progress bar moves live to 100 %, every image loads, 3 credits are gone', async () => {
    const before = Number(await credits());

    // A batch of three: every bar reaches 100 %, every image loads.
    const apiCalls: string[] = [];
    const imageRequests: Request[] = [];
    const track = (request: Request) => {
      const path = new URL(request.url()).pathname;
      apiCalls.push(path);
      if (path.startsWith('/api/images/')) imageRequests.push(request);
    };
    page.on('request', track);
    await page.getByTestId('batch-prompts').fill('A cat on a windowsill\nA dog in the park\nA bird in the sky');
    await page.getByTestId('batch-submit').click();
    const tasks = page.getByTestId('task');
    await expect.poll(() => tasks.count()).toBe(3);
    const seenProgress = new Set<string>();
    await expect
      .poll(
        async () => {
          const values = await page
            .locator('[data-testid=task] .bar')
            .evaluateAll((bars) => bars.map((b) => (b as HTMLElement).dataset.progress ?? ''));
          values.forEach((v) => seenProgress.add(v));
          return values;
        },
        { timeout: 30_000, interval: 50 },
      )
      .toEqual(['100', '100', '100']);
    expect([...seenProgress].some((v) => Number(v) > 0 && Number(v) < 100)).toBe(true); // it moved live, not just jumped to the end
    await expect
      .poll(
        () =>
          page
            .getByTestId('task-image')
            .evaluateAll((imgs) => imgs.map((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0)),
        {
          timeout: 15_000,
        },
      )
      .toEqual([true, true, true]);
    await expect.poll(credits).toBe(String(before - 3));
    await expect.poll(() => page.getByTestId('batch-status').textContent()).toContain('completed');
    await expect.poll(() => page.getByTestId('history').locator('li').count()).toBe(1);
    page.off('request', track);
    // Progress came over the event stream, not by polling the status.
    expect(apiCalls).toContain('/api/batch/events');
    expect(apiCalls).not.toContain('/api/batch/status');

    // The images are <img src> of signed URLs, loaded by the browser itself with no Authorization header.
    const sources = await page.getByTestId('task-image').evaluateAll((imgs) => imgs.map((img) => (img as HTMLImageElement).src));
    for (const src of sources) expect(src).toMatch(/\/api\/images\/[^?]+\?exp=\d+&sig=[\w-]{43}$/);
    expect(imageRequests.map((r) => r.url()).sort()).toEqual([...sources].sort());
    for (const request of imageRequests) {
      expect(request.resourceType()).toBe('image');
      expect(await request.allHeaders()).not.toHaveProperty('authorization');
      expect((await request.response())!.status()).toBe(200);
    }
    // A tampered URL is a 404 (the handler tests show it is the answer of a missing image, byte for byte).
    const tampered = sources[0]!.replace(/sig=(.)/, (_m, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`);
    const answer = await page.evaluate(async (u) => {
      const response = await fetch(u);
      return { status: response.status, body: await response.json() };
    }, tampered);
    expect(answer).toMatchObject({ status: 404, body: { code: 'not_found' } });
    expect(await page.evaluate(async (u) => (await fetch(u)).status, sources[0]!)).toBe(200);
    // An expired URL, signed with the server's own secret (kept in its data dir), is a 404 too.
    const signer = createImageUrlSigner(imageUrlSecretOf(join(dir, 'data')));
    const signed = new URL(sources[0]!);
    const key = signed.pathname.split('/').pop()!;
    const urlUntil = async (exp: number) => `${signed.origin}${signed.pathname}?exp=${exp}&sig=${await signer.sign(key, exp)}`;
    const now = Math.floor(Date.now() / 1000);
    const status = (u: string) => page.evaluate(async (target) => (await fetch(target)).status, u);
    expect(await status(await urlUntil(now + 60))).toBe(200);
    expect(await status(await urlUntil(now - 1))).toBe(404);
    await page.screenshot({ path: join(tmpdir(), 'imagegen-studio.png'), fullPage: true });
    // Every progress bar has a name.
    expect(await page.getByRole('progressbar', { name: /Progress of image \d: / }).count()).toBe(3);
    expect(await seriousAxeViolations(page)).toEqual([]);
  }, 60_000);

  it('shows a failed task with its error and a retry button that charges 1 credit and runs it again', async () => {
    const before = Number(await credits());
    await page.getByTestId('batch-prompts').fill('A cursed painting');
    await page.getByTestId('batch-submit').click();
    const retry = page.getByTestId('retry');
    await retry.waitFor({ state: 'visible', timeout: 20_000 });
    expect(await page.getByTestId('task').textContent()).toContain('The provider refused this prompt');
    await expect.poll(credits).toBe(String(before - 1));
    await retry.click();
    await expect.poll(credits).toBe(String(before - 2));
    // It ran again (and failed again, the provider still refuses): the button is back.
    await page.getByTestId('retry').waitFor({ state: 'visible', timeout: 20_000 });
    await expect.poll(() => page.getByTestId('batch-status').textContent()).toContain('completed');
    expect(await seriousAxeViolations(page)).toEqual([]);
  }, 60_000);

  it('explains a batch it cannot pay for and a file that is not an image', async () => {
    const before = Number(await credits());
    await page.getByTestId('mode-count').click();
    await page.getByTestId('batch-prompt').fill('A mountain lake');
    await page.getByTestId('batch-count').fill('10');
    let left = before;
    if (left >= 10) {
      await page.getByTestId('batch-submit').click();
      left -= 10;
      await expect.poll(credits).toBe(String(left));
    }
    await page.getByTestId('batch-submit').click();
    await expect.poll(() => toast().textContent()).toContain(`Not enough credits: this needs 10 and you have ${left}`);
    expect(await credits()).toBe(String(left));

    // Dropped on the drop zone, this time.
    await page.getByTestId('drop-zone').evaluate((zone) => {
      const data = new DataTransfer();
      data.items.add(new File(['this is not an image at all'], 'notes.png', { type: 'image/png' }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    });
    await expect.poll(() => toast().textContent()).toContain('JPEG, PNG or WebP');
  });

  it('revalidates the history with If-None-Match: refreshing an unchanged list is a 304 and keeps what it shows', async () => {
    const lists: Array<{ ifNoneMatch: string | undefined; status: number }> = [];
    const track = async (response: Response) => {
      if (new URL(response.url()).pathname !== '/api/batch/list') return;
      lists.push({ ifNoneMatch: (await response.request().allHeaders())['if-none-match'], status: response.status() });
    };
    page.on('response', track);
    // The batch of the last step may still be running (its list entry changing): let it end.
    await server.engine.onIdle();
    const first = lists.length;
    await page.locator('#history-refresh').click();
    await expect.poll(() => lists.length).toBeGreaterThan(first);
    const shown = await page.getByTestId('history').locator('li').allTextContents();
    expect(shown.length).toBeGreaterThan(0);
    const seen = lists.length;
    await page.locator('#history-refresh').click();
    await expect.poll(() => lists.length).toBeGreaterThan(seen);
    page.off('response', track);
    expect(lists.at(-1)).toEqual({ ifNoneMatch: expect.stringMatching(/^W\/"/), status: 304 });
    // The 304 kept the list as it was.
    expect(await page.getByTestId('history').locator('li').allTextContents()).toEqual(shown);
  }, 60_000);

  it('ran every step under the CSP without a violation reported', () => {
    expect(violations).toEqual([]);
  });
});
