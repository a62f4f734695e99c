import { script } from './script.js';

/**
 * Stores a generation record unless its id exists, and indexes it for paging.
 *
 * KEYS[1] record (string), KEYS[2] the user's records (zset by createdAt)
 * ARGV[1] record JSON, ARGV[2] createdAt, ARGV[3] zset member (the id's timestamp)
 *
 * Returns {0} stored, {-3} the id exists (nothing written).
 */
export const createRecord = script(
  'CreateRecord',
  2,
  `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return {-3} end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return {0}
`,
);
