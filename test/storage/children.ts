import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Child {
  process: ChildProcess;
  /** Resolves with each stdout line matching `predicate`. */
  waitFor(predicate: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or signal). */
  exited: Promise<number | string>;
  stderr(): string;
}

/**
 * Starts `node --import tsx script ...args` as one real OS process with piped stdio. (Not the `tsx`
 * CLI: it runs the script in a second process, which a SIGKILL of the first would leave running.)
 */
export function startChild(script: string, args: string[], env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(script, import.meta.url)), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  let err = '';
  const lines: string[] = [];
  const waiters: Array<{ predicate: (line: string) => boolean; resolve: (line: string) => void }> = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    let nl: number;
    while ((nl = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      lines.push(line);
      for (const w of waiters.splice(0)) {
        if (w.predicate(line)) w.resolve(line);
        else waiters.push(w);
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    process: child,
    stderr: () => err,
    exited,
    waitFor(predicate, timeoutMs = 20_000) {
      const seen = lines.find(predicate);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`child ${script} did not print the expected line in ${timeoutMs} ms; stderr:\n${err}`)),
          timeoutMs,
        );
        waiters.push({
          predicate,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`child ${script} exited (${code}) before printing the expected line; stderr:\n${err}`));
        });
      });
    },
  };
}

/** Starts race workers, waits until all are ready, then says `go` to all at once and collects one JSON line each. */
export async function raceChildren<T>(argsList: string[][], env: Record<string, string> = {}): Promise<T[]> {
  const children = argsList.map((args) => startChild('./processes/race-worker.ts', args, env));
  try {
    await Promise.all(children.map((c) => c.waitFor((l) => l === 'ready', 30_000)));
    for (const c of children) c.process.stdin!.write('go\n');
    const results = await Promise.all(children.map((c) => c.waitFor((l) => l.startsWith('{'), 60_000)));
    await Promise.all(children.map((c) => c.exited));
    return results.map((line) => JSON.parse(line) as T);
  } finally {
    for (const c of children) if (c.process.exitCode === null) c.process.kill('SIGKILL');
  }
}
