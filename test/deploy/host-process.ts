import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVER = fileURLToPath(new URL('../../examples/server/main.ts', import.meta.url));

export interface HostProcess {
  process: ChildProcess;
  /** Every stdout line so far. */
  lines: string[];
  /** Resolves with the first stdout line (seen or to come) matching `predicate`. */
  waitFor(predicate: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  exited: Promise<number | string>;
  stderr(): string;
  alive(): boolean;
}

/**
 * The reference server (`node --import tsx examples/server/main.ts`) in a network namespace, with
 * only `env` added to a minimal environment (PATH and HOME), so nothing of the caller's shell (a
 * provider key, a DATABASE_URL) leaks in. `ip netns exec` execs the command: the child's pid is
 * the server's, so a SIGKILL kills the server itself.
 */
export function startInNamespace(namespace: string, env: Record<string, string>): HostProcess {
  const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, '--import', 'tsx', SERVER], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...env },
  });
  let pending = '';
  let err = '';
  const lines: string[] = [];
  const waiters: Array<{ predicate: (line: string) => boolean; resolve: (line: string) => void }> = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      lines.push(line);
      for (const w of waiters.splice(0)) {
        if (w.predicate(line)) w.resolve(line);
        else waiters.push(w);
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  // After the exit, once its output is read (for the message of a waiter it leaves waiting).
  const closed = new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    process: child,
    lines,
    stderr: () => err,
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
    waitFor(predicate, timeoutMs = 30_000) {
      const seen = lines.find(predicate);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${namespace}: no expected line in ${timeoutMs} ms; stderr:\n${err}`)), timeoutMs);
        void closed.then((code) => {
          clearTimeout(timer);
          reject(new Error(`${namespace}: the server exited (${code}) before the expected line; stderr:\n${err}`));
        });
        waiters.push({
          predicate,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
      });
    },
  };
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stopHost(host: HostProcess, graceMs = 5000): Promise<void> {
  if (!host.alive()) return;
  host.process.kill('SIGTERM');
  const timer = setTimeout(() => host.alive() && host.process.kill('SIGKILL'), graceMs);
  await host.exited;
  clearTimeout(timer);
}
