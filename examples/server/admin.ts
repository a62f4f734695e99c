import { createAdminHandler } from '../../src/adapters/http/index.js';
import type { Engine } from '../../src/core/engine.js';
import type { ProviderAdapter } from '../../src/index.js';

/** The admins named in `IMAGEGEN_ADMINS` (comma-separated usernames). */
export function adminsFromEnv(env: Record<string, string | undefined> = process.env): Set<string> {
  return new Set(
    (env.IMAGEGEN_ADMINS ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean),
  );
}

/**
 * The admin API for the users named in `IMAGEGEN_ADMINS`, signed in with their normal bearer
 * token; to everyone else every admin route is a 404. Mount at `/admin/api/*`.
 */
export function createServerAdmin(
  engine: Engine,
  authenticate: (request: Request) => Promise<{ username: string } | null> | { username: string } | null,
  env: Record<string, string | undefined> = process.env,
  provider?: ProviderAdapter,
) {
  const admins = adminsFromEnv(env);
  return createAdminHandler({
    engine,
    basePath: '/admin/api',
    ...(provider ? { provider } : {}),
    authorize: async (request) => {
      const user = admins.size === 0 ? null : await authenticate(request);
      return user && admins.has(user.username) ? user.username : null;
    },
  });
}
