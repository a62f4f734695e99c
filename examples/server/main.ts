import { serve } from '@hono/node-server';
import { createServerApp } from './app.js';

const port = Number(process.env.PORT ?? 3000);
const server = await createServerApp({ dataDir: process.env.DATA_DIR ?? './data' });
const http = serve({ fetch: server.app.fetch, port }, (info) => {
  console.log(`imagegen-kit reference server (provider: ${server.providerName}): http://localhost:${info.port}/`);
});

http.on('error', (error: NodeJS.ErrnoException) => {
  console.error(error.code === 'EADDRINUSE' ? `Port ${port} is in use: start with PORT=<another port> npm start` : error);
  void server.close().finally(() => process.exit(1));
});

const shutdown = async () => {
  http.close();
  await server.close();
  process.exit(0);
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
