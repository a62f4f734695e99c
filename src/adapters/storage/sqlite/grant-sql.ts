/** The statements of grants and draws (see `grants.ts`), prepared with the others. */
export const GRANT_SQL = {
  grantState: 'SELECT grant_remaining, next_expiry FROM accounts WHERE username = ?',
  setGrantState: 'UPDATE accounts SET grant_remaining = ?, next_expiry = ? WHERE username = ?',
  liveGrants: 'SELECT grant_key, kind, priority, expires_at, seq, remaining FROM grants WHERE username = ?',
  putGrant: `INSERT INTO grants (username, grant_key, kind, priority, expires_at, seq, remaining)
     VALUES (@username, @key, @kind, @priority, @expiresAt, @seq, @remaining)
     ON CONFLICT (username, grant_key) DO UPDATE SET remaining = excluded.remaining`,
  deleteGrant: 'DELETE FROM grants WHERE username = ? AND grant_key = ?',
  draws: 'SELECT draws FROM grant_draws WHERE username = ? AND charge_key = ?',
  putDraws: `INSERT INTO grant_draws (username, charge_key, draws) VALUES (?, ?, ?)
     ON CONFLICT (username, charge_key) DO UPDATE SET draws = excluded.draws`,
} as const;
