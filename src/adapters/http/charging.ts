import { fingerprintOf, idempotencyKeyOf, runIdempotent, type StoredResponse } from './idempotency.js';
import { json } from './json.js';
import { parseJson, readLimited } from './read-body.js';
import type { RouteContext } from './route-context.js';

/** What a charging route passes on to the engine so its own charge is idempotent too. */
export interface ChargeOptions {
  idempotencyKey?: string;
  fingerprint?: string;
}

/**
 * A POST that costs credits: reads the JSON body under `limit` while streaming, applies the rate
 * limit, and honours `Idempotency-Key` (replay of the first response, 409 on another body).
 * `present` turns a 200 body into what is sent, first time and on replay alike: the stored
 * response keeps the stable image references and stored request ids, and each answer gets URLs
 * made when it is sent and the provider's own request ids (a replayed error body too).
 */
export async function chargingPost<T>(
  ctx: RouteContext,
  limit: number,
  run: (body: unknown, charge: ChargeOptions) => Promise<{ status: number; body: T }>,
  present: (body: T) => Promise<unknown> = async (body) => body,
): Promise<Response> {
  const send = async (response: StoredResponse) =>
    response.status === 200 ? present(response.body as T) : ctx.settings.publicRecords.errorBody(response.body);
  const key = idempotencyKeyOf(ctx.request);
  const bytes = await readLimited(ctx.request, limit);
  const body = parseJson(bytes);
  const { settings, user } = ctx;
  if (key === null) {
    await settings.checkRate(user.username);
    const response = await run(body, {});
    return json(await send(response), response.status);
  }
  const fingerprint = await fingerprintOf(ctx.request.method, ctx.url.pathname, bytes);
  const { response, replayed } = await runIdempotent(
    {
      storage: settings.engine.storage,
      username: user.username,
      key,
      fingerprint,
      waitMs: settings.idempotencyWaitMs,
      policy: settings.idempotency,
    },
    async (engineKey) => {
      await settings.checkRate(user.username);
      return run(body, { idempotencyKey: engineKey, fingerprint });
    },
  );
  return json(await send(response), response.status, { 'Idempotency-Key': key, ...(replayed ? { 'Idempotent-Replayed': 'true' } : {}) });
}
