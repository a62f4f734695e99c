export type * from './storage-adapter.js';
export type * from './storage/index.js';
export type * from './provider-adapter.js';
export type * from './image-store.js';
export type * from './dispatcher.js';
export type * from './rate-limiter.js';
export type * from './event-relay.js';
export type * from './single-generation.js';
