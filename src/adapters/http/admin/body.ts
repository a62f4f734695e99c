import type { z } from 'zod';
import { parseOrThrow } from '../../../core/schemas/parse.js';
import { parseJson, readLimited } from '../read-body.js';
import type { AdminContext } from './context.js';

/** The JSON body, read under the handler's cap and parsed with `schema` (a 400 naming the field). */
export async function adminBody<S extends z.ZodType>(ctx: AdminContext, schema: S): Promise<z.output<S>> {
  return parseOrThrow(schema, parseJson(await readLimited(ctx.request, ctx.settings.maxBodyBytes)));
}

/** The query string, parsed with `schema`. */
export function adminQuery<S extends z.ZodType>(ctx: AdminContext, schema: S): z.output<S> {
  return parseOrThrow(schema, Object.fromEntries(ctx.url.searchParams.entries()));
}

/** The journal `reason` of an admin's credit action: who did it, then why. */
export const adminReason = (admin: string, reason: string): string => `admin:${admin}: ${reason}`;
