export * from './records.js';
export * from './ledger-rules.js';
export * from './idempotency-windows.js';
export * from './ownership.js';
export * from './failed-task-cursor.js';
export * from './grant-book.js';
