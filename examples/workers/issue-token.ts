/**
 * Prints a bearer token for the Workers example, signed with the Worker's TOKEN_SECRET — what
 * your sign-in would hand out:
 *
 *   TOKEN_SECRET=... npx tsx examples/workers/issue-token.ts alice
 */
import { issueToken } from './auth.js';

const [username] = process.argv.slice(2);
const secret = process.env.TOKEN_SECRET;
if (!username || !secret) {
  console.error('usage: TOKEN_SECRET=<the Worker secret> npx tsx examples/workers/issue-token.ts <username>');
  process.exit(2);
}
console.log(await issueToken(secret, username));
