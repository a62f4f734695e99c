import { LEDGER_LUA } from './ledger-lua.js';
import { script } from './script.js';

/**
 * Appends one journal entry and moves the balance, or replays the entry with that key.
 *
 * KEYS[1] balance, KEYS[2] journal, KEYS[3] journal keys, KEYS[4] grants, KEYS[5] draws (all tagged with the user)
 * ARGV[1] entry request JSON `[kind, amount, key, reference, reason, fingerprint, createdAt]`
 *
 * Returns
 *   {0, seq, entry, balance}  written
 *   {1, seq, entry, balance}  replayed (same kind, amount and fingerprint)
 *   {-1, balance}             a debit beyond the balance; nothing written
 *   {-2}                      the key was used for another request; nothing written
 */
export const applyLedgerEntry = script(
  'ApplyLedgerEntry',
  5,
  `${LEDGER_LUA}
local req = cjson.decode(ARGV[1])
local found = ledger_find(req)
if found == false then return {-2} end
if found then return {1, found[1], found[2], ledger_balance()} end
local balance = ledger_balance()
if req[2] < 0 and balance + req[2] < 0 then return {-1, balance} end
local w = ledger_write(req, req[4])
return {0, w[1], w[2], w[3]}
`,
);
