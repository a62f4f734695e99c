import { LEDGER_LUA } from './ledger-lua.js';
import { script } from './script.js';

/**
 * Writes the `expire` entries of the user's grants due at `now` (none when no grant is tracked).
 *
 * KEYS[1] balance, KEYS[2] journal, KEYS[3] journal keys, KEYS[4] grants, KEYS[5] draws
 * ARGV[1] now
 *
 * Returns the balance after.
 */
export const settleGrants = script(
  'SettleGrants',
  5,
  `${LEDGER_LUA}
if redis.call('HLEN', GR) > 0 then grants_expire(tonumber(ARGV[1])) end
return tonumber(redis.call('GET', KEYS[1]) or '0')
`,
);
