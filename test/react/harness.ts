import { createElement, type ReactNode } from 'react';
import { createClient, type ImageGenClient } from '../../src/client/index.js';
import { ImageGenProvider } from '../../src/react/index.js';
import { createTestApp, type TestApp } from '../http/app.js';

/** A request the client sent, as the handler saw it. */
export interface SentRequest {
  method: string;
  path: string;
  signal: AbortSignal;
}

export interface HookHarness {
  app: TestApp;
  client: ImageGenClient;
  /** Every request the client sent, in order. */
  sent: SentRequest[];
  wrapper: (props: { children?: ReactNode }) => ReactNode;
  /** Answer `path` with this instead of the handler (undefined: the handler answers). */
  intercept: (fn: (request: Request) => Response | undefined) => void;
}

/**
 * A client of the real handler (memory storage, offline provider) in process, signed in as `user`,
 * recording what it sends; `wrapper` puts it in an `ImageGenProvider` for `renderHook`.
 */
export async function createHookHarness(options: Parameters<typeof createTestApp>[0] = {}, user = 'alice'): Promise<HookHarness> {
  const app = await createTestApp(options);
  const sent: SentRequest[] = [];
  let interceptor: (request: Request) => Response | undefined = () => undefined;
  const client = createClient({
    baseUrl: 'http://test.local/api',
    token: `token-${user}`,
    retries: 0,
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      // As a real fetch: an aborted signal rejects before anything is sent.
      if (request.signal.aborted) throw new DOMException('This operation was aborted', 'AbortError');
      sent.push({ method: request.method, path: new URL(request.url).pathname, signal: request.signal });
      return interceptor(request) ?? app.handler(request);
    }) as typeof fetch,
  });
  return {
    app,
    client,
    sent,
    wrapper: ({ children }) => createElement(ImageGenProvider, { client }, children),
    intercept: (fn) => {
      interceptor = fn;
    },
  };
}
