/**
 * A worker process: runs tasks from the shared queue until SIGTERM, then lets running tasks finish
 * for up to 20 s and hands the rest to the other workers. Start as many as you like:
 *
 *   npx tsx examples/scale-out/worker.ts
 */
import { shutdownOnSignals } from '../../src/adapters/dispatch/bullmq/index.js';
import { parseEngineRole } from '../../src/index.js';
import { clusterEngine } from './cluster.js';

const role = parseEngineRole(process.env.IMAGEGEN_ROLE ?? 'worker');
const { engine, close } = clusterEngine(role);
engine.events.on('task:completed', (e) => console.log(`[worker ${process.pid}] completed ${e.taskId}`));
shutdownOnSignals(engine, { graceMs: 20_000, onStopped: close });
const { recovered } = await engine.start();
console.log(`worker ${process.pid} ready (role ${role}, re-queued ${recovered} open tasks)`);
