import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's Chromium; the browser tests never download one. */
export const CHROMIUM = '/usr/bin/chromium';

const installed = existsSync(CHROMIUM);
/** Whether the browser tests run: Chromium is installed, or this is CI (where a missing browser fails instead of skipping). */
export const browserTestsRun = installed || Boolean(process.env.CI);
if (!browserTestsRun) {
  console.warn(`\n[browser test] SKIPPED: ${CHROMIUM} is missing (install it with: apt-get install -y chromium)\n`);
}

/** Headless Chromium with a fresh profile in `profileDir`, with no background network traffic. */
export function launchChromium(
  profileDir: string,
  options: Pick<Parameters<typeof chromium.launchPersistentContext>[1] & object, 'viewport' | 'acceptDownloads'> = {},
): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run'],
    ...options,
  });
}

/** Serves `fetch` on a free loopback port; answers the server and its origin (`http://127.0.0.1:port`). */
export async function serveOnLoopback(
  fetch: (request: Request) => Response | Promise<Response>,
): Promise<{ http: ServerType; origin: string }> {
  const http = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  return { http, origin: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}
