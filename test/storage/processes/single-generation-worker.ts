/**
 * A child process of the interrupted-generation test: an engine on a SQLite file whose provider
 * takes a minute to accept a job.
 *
 *   tsx single-generation-worker.ts <file> run <username>       grants 10, starts an image-to-image, runs until killed
 *   tsx single-generation-worker.ts <file> restart <shiftMs>    starts with its clock shifted (recovering), exits
 *
 * Prints `charged` once the image-to-image is paid for, and `started <JSON>` (the sweep's counts) on restart.
 */
import { createMemoryImageStore } from '../../../src/adapters/image-stores/memory/index.js';
import { createOfflineProvider } from '../../../src/adapters/providers/offline/index.js';
import { createSqliteStorage } from '../../../src/adapters/storage/sqlite/index.js';
import { createEngine } from '../../../src/core/engine.js';
import { b64, makeImage } from '../../image-input/fixtures.js';

const [file, mode, arg] = process.argv.slice(2) as [string, string, string];
const shiftMs = mode === 'restart' ? Number(arg) : 0;
const engine = createEngine({
  storage: createSqliteStorage({ path: file }),
  provider: createOfflineProvider({ size: 32, submitDelayMs: 60_000 }),
  imageStore: createMemoryImageStore(),
  now: () => Date.now() + shiftMs,
  logger: { warn: (m, f) => console.error(m, f), error: (m, f) => console.error(m, f) },
});

if (mode === 'run') {
  const username = arg;
  await engine.credits.grant(username, 10, { idempotencyKey: 'starting-grant' });
  engine.events.on('credits:changed', (e) => {
    if (e.kind === 'charge') process.stdout.write('charged\n');
  });
  const input = `data:image/png;base64,${b64(await makeImage('png', 48, 32))}`;
  await engine.imageToImage.run(username, { prompt: 'interrupted', input_image: input });
  process.stdout.write('finished\n');
} else {
  await engine.start();
  const swept = await engine.recoverGenerations();
  process.stdout.write(`started ${JSON.stringify({ staleAfterMs: engine.idempotency.staleAfterMs, sweptAgain: swept })}\n`);
  await engine.stop({ graceMs: 0 });
  await engine.storage.close();
}
