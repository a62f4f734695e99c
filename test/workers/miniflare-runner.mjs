// Runs under Node 22 (see node22.ts): starts Miniflare with the JSON options in argv[2], prints
// `READY <url>` and serves until stdin closes or SIGTERM.
import { readFileSync } from 'node:fs';
import { Miniflare } from 'miniflare';

const options = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const mf = new Miniflare(options);
const url = await mf.ready;
process.stdout.write(`READY ${url.href}\n`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await mf.dispose().catch(() => {});
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
