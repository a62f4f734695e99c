export * from './records.js';
export * from './ledger-rules.js';
