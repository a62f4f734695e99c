import type { Context, Hono } from 'hono';
import { type Engine, isImageGenError, UnauthorizedError } from '../../src/index.js';
import { clientAddress } from './client-address.js';
import type { UserStore } from './users/accounts.js';

export interface AuthRoutesOptions {
  users: UserStore;
  engine: Engine;
  /** Credits a new user gets once. */
  startingCredits: number;
  /** Proxies in front that append to `X-Forwarded-For`; 0 = the socket's peer is the client. */
  trustedProxyHops: number;
}

type Handler = (c: Context, address: string) => Promise<Response>;

/**
 * Sign-in of the reference server, at `/auth/*`: `sign-in` (creates the user on first use),
 * `sign-out`, `sign-out-all` (every token of the user) and `password` (`current_password`,
 * `new_password`: every token revoked, one new one answered). Errors answer as the API's do,
 * a 429 with `Retry-After`.
 */
export function mountAuthRoutes(app: Hono, { users, engine, startingCredits, trustedProxyHops }: AuthRoutesOptions): void {
  const route =
    (handler: Handler) =>
    async (c: Context): Promise<Response> => {
      // @hono/node-server passes the Node request as c.env.incoming; app.request() in tests passes none.
      const socket = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket;
      const address = clientAddress(socket?.remoteAddress, c.req.header('x-forwarded-for'), trustedProxyHops);
      try {
        return await handler(c, address);
      } catch (error) {
        if (!isImageGenError(error)) throw error;
        const retryAfter = error.details.retry_after;
        if (error.status === 429 && typeof retryAfter === 'number') c.header('Retry-After', String(retryAfter));
        return c.json(error.toJSON(), error.status as 400);
      }
    };
  const signedIn = async (c: Context) => {
    const user = await users.authenticate(c.req.raw);
    if (!user) throw new UnauthorizedError('Sign in first');
    return user;
  };
  const body = async (c: Context) => (await c.req.json().catch(() => ({}))) as Record<string, unknown>;

  app.post(
    '/auth/sign-in',
    route(async (c, address) => {
      const { username, password } = await body(c);
      const session = await users.signIn(username, password, address);
      if (startingCredits > 0) {
        await engine.credits.grant(session.username, startingCredits, { idempotencyKey: 'welcome-grant', reason: 'starting credits' });
      }
      return c.json({ token: session.token, username: session.username, created: session.created });
    }),
  );
  app.post('/auth/sign-out', async (c) => {
    const token = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
    if (token) await users.signOut(token);
    return c.body(null, 204);
  });
  app.post(
    '/auth/sign-out-all',
    route(async (c) => {
      await users.signOutAll((await signedIn(c)).username);
      return c.body(null, 204);
    }),
  );
  app.post(
    '/auth/password',
    route(async (c, address) => {
      const { username } = await signedIn(c);
      const { current_password, new_password } = await body(c);
      const session = await users.changePassword(username, current_password, new_password, address);
      return c.json({ token: session.token, username: session.username });
    }),
  );
}
