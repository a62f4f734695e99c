import type { Hono } from 'hono';
import { type Engine, isImageGenError } from '../../src/index.js';
import type { UserStore } from './users/accounts.js';

export interface AuthRoutesOptions {
  users: UserStore;
  engine: Engine;
  /** Credits a new user gets once. */
  startingCredits: number;
}

/** Sign-in and sign-out of the reference server, at `/auth/*`. */
export function mountAuthRoutes(app: Hono, { users, engine, startingCredits }: AuthRoutesOptions): void {
  app.post('/auth/sign-in', async (c) => {
    try {
      const body = (await c.req.json().catch(() => ({}))) as { username?: unknown; password?: unknown };
      const session = await users.signIn(body.username, body.password);
      if (startingCredits > 0) {
        await engine.credits.grant(session.username, startingCredits, { idempotencyKey: 'welcome-grant', reason: 'starting credits' });
      }
      return c.json({ token: session.token, username: session.username, created: session.created });
    } catch (error) {
      if (isImageGenError(error)) return c.json(error.toJSON(), error.status as 400);
      throw error;
    }
  });
  app.post('/auth/sign-out', async (c) => {
    const token = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
    if (token) await users.signOut(token);
    return c.body(null, 204);
  });
}
