/**
 * The reference server. `npm start` runs one process on SQLite with images as files; with
 * `IMAGEGEN_ROLE` (`api`, `worker`, `both`) and `REDIS_URL` it is one process of a deployment
 * (queue and events on Redis), on the storage of `IMAGEGEN_STORAGE` and the images of
 * `IMAGEGEN_IMAGES` (see config.ts and the README section "The reference server as a deployment").
 */
import type { Server } from 'node:http';
import { readServerConfig, type ServerConfig } from './config.js';
import { createJsonLogger } from './json-logger.js';

let config: ServerConfig;
try {
  config = readServerConfig();
} catch (error) {
  console.error(`Cannot start: ${(error as Error).message}`);
  process.exit(1);
}
const { cluster, graceMs, storage, images } = config;
// JSON lines for the engine, the requests and the provider; the plain lines below are the banner.
const logger = createJsonLogger({ base: { role: cluster?.role ?? 'both', pid: process.pid } });
// Loaded once the configuration is known good, so a wrong one fails at once.
const [{ serve }, { Hono }, { shutdownOnSignals }] = await Promise.all([
  import('@hono/node-server'),
  import('hono'),
  import('../../src/adapters/dispatch/bullmq/shutdown-on-signals.js'),
]);

/** A database or bucket that cannot be opened stops the process at start, with the reason. */
async function startOrExit<T>(start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    console.error(`Cannot start: ${(error as Error).message}`);
    process.exit(1);
  }
}

function onListenError(port: number, variable: string, close: () => Promise<unknown>) {
  return (error: NodeJS.ErrnoException) => {
    console.error(error.code === 'EADDRINUSE' ? `Port ${port} is in use: start with ${variable}=<another port>` : error);
    void close().finally(() => process.exit(1));
  };
}

if (cluster?.role === 'worker') {
  // A worker runs tasks from the queue and serves no API: only /health and /ready on IMAGEGEN_HEALTH_PORT, if set.
  const { createServerEngine } = await import('./engine.js');
  const { openServerTelemetry } = await import('./telemetry.js');
  const metrics = await openServerTelemetry(logger);
  const worker = await startOrExit(() =>
    createServerEngine({
      dataDir: config.dataDir,
      storage,
      images,
      cluster,
      logger,
      ...(metrics ? { engineOptions: { telemetry: metrics.telemetry } } : {}),
    }),
  );
  const healthPort = config.healthPort;
  const { mountOpsRoutes } = await import('./ops-routes.js');
  const { requestLog } = await import('./request-log.js');
  const ops = new Hono();
  ops.use('*', requestLog(logger));
  mountOpsRoutes(ops, worker.engine, metrics);
  const health =
    healthPort === null
      ? null
      : (serve({ fetch: ops.fetch, port: healthPort }, (info) => console.log(`health: http://localhost:${info.port}/health`)) as Server);
  health?.on('error', onListenError(healthPort!, 'IMAGEGEN_HEALTH_PORT', worker.release));
  // What this worker runs (a worker hears no other process's events): one line as a task starts
  // here, one as it completes here.
  const running = new Set<string>();
  worker.engine.events.on('task:progress', (e) => {
    if (running.has(e.taskId)) return;
    running.add(e.taskId);
    console.log(`running ${e.taskId}`);
  });
  worker.engine.events.on('task:completed', (e) => {
    running.delete(e.taskId);
    console.log(`completed ${e.taskId}`);
  });
  worker.engine.events.on('task:failed', (e) => running.delete(e.taskId));
  // SIGTERM: take no more tasks, let running ones finish for graceMs, hand the rest to other workers.
  shutdownOnSignals(worker.engine, {
    graceMs,
    onStopped: async () => {
      health?.close();
      health?.closeAllConnections();
      await worker.release();
      await metrics?.shutdown();
    },
  });
  const { recovered } = await worker.engine.start();
  console.log(
    `imagegen-kit worker ${process.pid} ready (provider: ${worker.providerName}, storage: ${storage.kind}, images: ${images.kind}, re-queued ${recovered} open tasks)`,
  );
} else {
  const { createServerApp } = await import('./app.js');
  const server = await startOrExit(() => createServerApp({ dataDir: config.dataDir, storage, images, cluster, auth: config.auth, logger }));
  const http = serve({ fetch: server.app.fetch, port: config.port }, (info) => {
    console.log(
      `imagegen-kit reference server (provider: ${server.providerName}, role: ${cluster?.role ?? 'single process'}, storage: ${storage.kind}, images: ${images.kind}): http://localhost:${info.port}/`,
    );
  }) as Server;
  http.on(
    'error',
    onListenError(config.port, 'PORT', () => server.close()),
  );
  // On a signal, accept no new connections at once; open ones (event streams) keep getting progress
  // while running tasks finish, and are closed once the engine has stopped.
  process.once('SIGTERM', () => http.close());
  process.once('SIGINT', () => http.close());
  shutdownOnSignals(server.engine, {
    graceMs,
    onStopped: async () => {
      http.closeAllConnections();
      await server.release();
    },
  });
}
