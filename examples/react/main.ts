// The React example: builds the page with Vite, then serves it with the reference server.
//   npm run example:react         → http://localhost:3000 (PORT to change it)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { buildReactExample } from './build.js';
import { createReactExampleServer } from './serve.js';

const dist = mkdtempSync(join(tmpdir(), 'imagegen-react-'));
await buildReactExample(dist);
const server = await createReactExampleServer(dist, { dataDir: process.env.IMAGEGEN_DATA_DIR ?? './data' });
const port = Number(process.env.PORT ?? 3000);
const http = serve({ fetch: server.app.fetch, port }, () =>
  console.log(`imagegen-kit React example on http://localhost:${port} (${server.providerName})`),
);
const stop = async () => {
  http.close();
  await server.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
