/**
 * The fake BFL server in a process of its own, as a real provider would be: the engine's process
 * does only its own work. Talks over IPC: sends `{ url }` once listening, answers `'stats'` with
 * the server's counters, exits on `'close'`.
 */
import { startFakeBfl } from '../test/support/fake-bfl-server.js';

const [latencyMs, concurrencyPerKey] = process.argv.slice(2).map(Number) as [number, number];
const fake = await startFakeBfl({ latencyMs, concurrencyPerKey });
process.send!({ url: fake.url });
process.on('message', async (message) => {
  if (message === 'stats') process.send!({ stats: fake.stats });
  if (message === 'close') {
    await fake.close();
    process.exit(0);
  }
});
