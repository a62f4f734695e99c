import type { Engine } from '../../../core/engine.js';
import type { Logger } from '../../../core/options.js';
import type { ProviderAdapter } from '../../../core/ports/provider-adapter.js';

/** `engine.batches.cancel`, when the engine has it (an engine without it answers 501 to a cancel). */
export type AdminCancel = (username: string, batchId: string, options?: { taskIndex?: number }) => Promise<unknown>;

/** The engine members the admin handler uses; an {@link Engine} from `createEngine` has them all. */
export type AdminEngine = Pick<Engine, 'credits' | 'batches' | 'storage' | 'dispatcher'> & Partial<Pick<Engine, 'logger'>>;

/** One line of the admin action log: who did what to which user, batch or task. */
export interface AdminAuditEntry {
  /** The admin's name, as `authorize` returned it. */
  admin: string;
  /** `credits.grant`, `credits.adjust`, `ledger.export`, `tasks.requeue`, `batches.cancel`. */
  action: string;
  /** The user, batch and task acted on, and the action's own fields (amount, reason, outcome). */
  details: Record<string, unknown>;
  /** Epoch ms. */
  at: number;
}

/** Options of {@link createAdminHandler}. */
export interface AdminHandlerOptions {
  engine: AdminEngine;
  /**
   * The host's decision: the admin's name when the request comes from an admin, else null. Every
   * admin route (the OpenAPI document too) answers a request it refuses with the 404 of an
   * unknown path, so the API is not seen to exist.
   */
  authorize(request: Request): string | null | Promise<string | null>;
  /** Where the routes live. @default '/admin/api' */
  basePath?: string;
  /** Largest JSON body, checked while reading. @default 16384 (16 KiB) */
  maxBodyBytes?: number;
  /** A `pending` task waiting longer than this is listed as stuck (overridable per request). @default 600000 (10 minutes) */
  stuckPendingAfterMs?: number;
  /** Journal entries read per page by the CSV and JSON-lines exports. @default 100 */
  exportPageSize?: number;
  /**
   * Told about every admin action (credit actions are also in the user's journal, with the admin's
   * name in `reason`). @default a structured `warn('admin action', entry)` line on the engine's logger
   */
  audit?: (entry: AdminAuditEntry) => void;
  /** The provider whose key pool `GET /overview` shows (labels and counters, never keys). @default none */
  provider?: Pick<ProviderAdapter, 'name' | 'keyStats'>;
  /** @default Date.now */
  now?: () => number;
  /** Told about unexpected errors (answered with 500). @default console.error */
  onError?: (error: unknown, request: Request) => void;
}

/** The log line's default: the engine's logger, else the console. */
export function defaultAudit(logger: Logger | undefined): (entry: AdminAuditEntry) => void {
  return (entry) =>
    logger ? logger.warn('admin action', { ...entry }) : console.warn('[imagegen-kit] admin action', JSON.stringify(entry));
}
