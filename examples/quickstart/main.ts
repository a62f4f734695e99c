/**
 * The quickstart: an engine on memory storage with the offline provider (no keys, no servers),
 * a demo user with credits, two batches with a live progress bar per task, the images written to
 * ./output/, one image-to-image on a batch result (2 credits), and the credit ledger printed at the end.
 *
 *   npm run quickstart
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createEngine, uploadImage } from '../../src/index.js';
import { createMemoryImageStore } from '../../src/adapters/image-stores/memory/index.js';
import { createOfflineProvider } from '../../src/adapters/providers/offline/index.js';
import { createMemoryStorage } from '../../src/adapters/storage/memory/index.js';
import { ProgressBoard } from './progress-board.js';

const outputDir = join(process.cwd(), 'output');
const user = 'demo';

const imageStore = createMemoryImageStore();
const engine = createEngine({
  storage: createMemoryStorage(),
  // Slow enough to watch: each image takes about two seconds, polled every 250 ms.
  provider: createOfflineProvider({ size: 512, latencyMs: 2000, pollsBeforeReady: 2, pollPolicy: { maxPolls: 20, pollIntervalMs: 250 } }),
  imageStore,
  concurrency: 4,
});

const board = new ProgressBoard();
engine.events.on('task:progress', (e) => board.update(e));
engine.events.on('task:failed', (e) => board.update({ ...e, status: 'failed' }));

await engine.start();
await engine.credits.grant(user, 20, { idempotencyKey: 'welcome-grant', reason: 'welcome credits' });

const landscapes = await engine.batches.submit(user, {
  prompts: ['A cat sitting on a windowsill', 'A dog running in the park', 'A bird flying in the sky'],
  aspect_ratio: '16:9',
  output_format: 'png',
});
const variations = await engine.batches.submit(user, { prompt: 'A beautiful landscape', count: 4, output_format: 'webp' });

for (const { batch } of [landscapes, variations]) {
  for (const task of batch.tasks) board.add(task.taskId, `${task.taskId}  "${task.prompt}"`);
}
console.log(`Submitted ${landscapes.batch.batchId} and ${variations.batch.batchId}; ${variations.creditsRemaining} credits left.\n`);
board.start();
const finished = await Promise.all([landscapes, variations].map(({ batch }) => engine.batches.waitFor(user, batch.batchId)));
board.stop();

await mkdir(outputDir, { recursive: true });
const written: string[] = [];
for (const batch of finished) {
  for (const task of batch.tasks) {
    const key = task.result && imageStore.keyFromUrl(task.result.imageUrl);
    const image = key ? await imageStore.get(key) : null;
    if (!key || !image) continue;
    await writeFile(join(outputDir, key), image.bytes);
    written.push(key);
  }
}
console.log(`\nWrote ${written.length} images to ${outputDir}:`);
for (const name of written) console.log(`  ${name}`);

// Image-to-image on the first batch result: upload it (checked by its bytes, returned as a data
// URL) and transform it. Charged 2 credits, refunded if it fails.
const source = finished[0]!.tasks.find((task) => task.result)!;
const sourceImage = (await imageStore.get(imageStore.keyFromUrl(source.result!.imageUrl)!))!;
const upload = uploadImage(sourceImage.bytes, sourceImage.contentType);
console.log(`\nImage-to-image on ${source.taskId} (${upload.type}, ${upload.size} bytes)…`);
let shown = -1;
engine.events.on('generation:progress', (e) => {
  if (e.progress !== shown) process.stdout.write(`  ${(shown = e.progress)}%`);
});
const transformed = await engine.imageToImage.run(user, {
  prompt: `${source.prompt}, at night, in watercolour`,
  input_image: upload.data_url,
  image_prompt_strength: 0.6,
  aspect_ratio: '1:1',
  output_format: 'jpeg',
});
const transformedKey = imageStore.keyFromUrl(transformed.record.imageUrl)!;
await writeFile(join(outputDir, transformedKey), (await imageStore.get(transformedKey))!.bytes);
console.log(`\nWrote ${transformedKey} (${transformed.record.recordId}); ${transformed.creditsRemaining} credits left.`);

const ledger = await engine.credits.history(user, { limit: 50 });
console.log('\nCredit ledger (newest first):');
for (const entry of ledger.items) {
  const amount = entry.amount > 0 ? `+${entry.amount}` : String(entry.amount);
  console.log(
    `  ${entry.kind.padEnd(7)} ${amount.padStart(4)}  balance ${String(entry.balanceAfter).padStart(3)}  ${entry.reason ?? ''} ${entry.reference ?? ''}`,
  );
}
console.log(`Balance: ${await engine.credits.balance(user)} credits`);
await engine.stop();
