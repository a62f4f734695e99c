import { createRequestHandler } from '../../src/adapters/http/index.js';
import { createMemoryImageStore } from '../../src/adapters/image-stores/memory/index.js';
import { createOfflineProvider } from '../../src/adapters/providers/offline/index.js';
import { createMemoryStorage } from '../../src/adapters/storage/memory/index.js';
import { createEngine } from '../../src/index.js';

/** One engine and handler shared by the host examples; replace `authenticate` with your own session check. */
export const engine = createEngine({
  storage: createMemoryStorage(),
  provider: createOfflineProvider(),
  imageStore: createMemoryImageStore(),
});
await engine.start();

export const handler = createRequestHandler({
  engine,
  authenticate: (request) => (request.headers.get('authorization') === `Bearer ${process.env.DEMO_TOKEN}` ? { username: 'demo' } : null),
  // Signs the image URLs of responses (32+ random characters, e.g. `openssl rand -base64 32`).
  imageUrlSecret: process.env.IMAGE_URL_SECRET,
});
