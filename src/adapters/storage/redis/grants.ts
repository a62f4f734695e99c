import type { LiveGrant } from '../../../core/policy/grants.js';
import type { GrantKind } from '../../../core/schemas/grants.js';

/** The grants hash as the scripts write it: key -> `[remaining, priority, expiresAt or -1, seq, kind]`. */
export function decodeGrants(raw: Record<string, string>): LiveGrant[] {
  return Object.entries(raw).map(([key, value]) => {
    const [remaining, priority, expiresAt, seq, kind] = JSON.parse(value) as [number, number, number, number, GrantKind];
    return { key, remaining, priority, expiresAt: expiresAt === -1 ? null : expiresAt, seq, kind };
  });
}

/** The values of a MULTI's replies; throws the first error. */
export function results(replies: Array<[Error | null, unknown]> | null): unknown[] {
  if (!replies) throw new Error('imagegen-kit: a Redis transaction was aborted');
  return replies.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}
