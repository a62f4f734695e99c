import type { RouteDoc } from '../openapi/route-doc.js';
import type { AdminAuditEntry, AdminEngine, AdminHandlerOptions } from './options.js';

/** Settings of one admin handler, with defaults applied. */
export interface AdminSettings {
  engine: AdminEngine;
  maxBodyBytes: number;
  stuckPendingAfterMs: number;
  provider: AdminHandlerOptions['provider'];
  exportPageSize: number;
  now(): number;
  /** Writes one line of the action log (the admin's name and the time are added). */
  audit(entry: Omit<AdminAuditEntry, 'at'>): void;
  openApiDocument(): Record<string, unknown>;
}

/** What an admin route sees. */
export interface AdminContext {
  request: Request;
  url: URL;
  params: Record<string, string>;
  /** The admin's name, as `authorize` returned it. */
  admin: string;
  settings: AdminSettings;
}

/** One entry of the admin route table, with its documentation (the admin OpenAPI document is built from it). */
export interface AdminRoute {
  method: 'GET' | 'POST';
  /** Path below the base path. */
  path: string;
  doc: RouteDoc;
  handle(ctx: AdminContext): Promise<Response>;
}
