export { createRedisDispatcher, RedisDispatcher } from './dispatcher.js';
export type { RedisDispatcherOptions } from './options.js';
