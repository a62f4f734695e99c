import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket, connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** A port free on `host` right now (the caller binds it next). */
export async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A redis-server of the test's own, listening on `hosts` only (one port), keeping nothing on disk
 * beyond its temp directory: it carries the queue and the events, not the ledger.
 */
export async function startRedisOn(hosts: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'igk-deploy-redis-'));
  const port = await freePort(hosts[0]!);
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', ...hosts, '--protected-mode', 'no', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const probe = new Redis({ host: hosts[0], port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {});
  try {
    for (let tries = 0; ; tries++) {
      try {
        await probe.connect();
        await probe.ping();
        break;
      } catch (error) {
        if (tries > 50 || child.exitCode !== null) throw new Error(`redis-server did not start: ${String(error)}\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (error) {
    await close();
    throw error;
  } finally {
    probe.disconnect();
  }
  return { port, close };
}

/**
 * A TCP forwarder in the test process: it listens on `hosts` (one port) and pipes each connection
 * to the machine's PostgreSQL on `target`, which listens on loopback only. PostgreSQL sees the
 * connections come from 127.0.0.1 (trust auth there); the hosts see a database on their link.
 */
export async function forwardTcp(hosts: string[], target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  const servers: Server[] = [];
  let port = 0;
  const onConnection = (inbound: Socket) => {
    const outbound = connect(target.port, target.host);
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  };
  for (const host of hosts) {
    const server = createServer(onConnection);
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
    port = (server.address() as AddressInfo).port;
    servers.push(server);
  }
  return {
    port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    },
  };
}
