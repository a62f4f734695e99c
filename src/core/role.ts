import type { EngineRole } from './options.js';

const ROLES: readonly EngineRole[] = ['api', 'worker', 'both'];

/**
 * Reads a process role from configuration text (the reference server passes
 * `process.env.IMAGEGEN_ROLE`): `api`, `worker` or `both`, case-insensitive; empty means `both`.
 *
 * @example
 * const role = parseEngineRole(process.env.IMAGEGEN_ROLE); // 'api' | 'worker' | 'both'
 */
export function parseEngineRole(value: string | undefined, name = 'IMAGEGEN_ROLE'): EngineRole {
  const text = (value ?? '').trim().toLowerCase();
  if (text === '') return 'both';
  if ((ROLES as readonly string[]).includes(text)) return text as EngineRole;
  throw new RangeError(`${name} must be one of api, worker, both (got "${value}")`);
}
