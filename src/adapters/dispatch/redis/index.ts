export { createRedisDispatcher, RedisDispatcher, type RedisDispatcherOptions } from './dispatcher.js';
