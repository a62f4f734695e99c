export type * from './types.js';
export type * from './ledger-store.js';
export type * from './batch-store.js';
export type * from './record-store.js';
export type * from './idempotency-store.js';
export type * from './pending-generation-store.js';
export type * from './admin-query-store.js';
