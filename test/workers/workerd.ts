import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinModules } from 'node:module';
import { build, type Plugin } from 'esbuild';
import { findNode22 } from './node22.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Node built-ins (dist imports them unprefixed) stay imports of `node:*`, which workerd serves under `nodejs_compat`. */
const nodeBuiltins: Plugin = {
  name: 'node-builtins',
  setup(b) {
    const names = new Set(builtinModules);
    b.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      return names.has(name) ? { path: `node:${name}`, external: true } : undefined;
    });
  },
};

/**
 * Bundles a Worker's entry into one ES module for workerd; returns its path. With `nodeCompat`
 * false a Node built-in import fails the build, which is how a test shows a module needs none.
 */
export async function bundleWorker(
  entry: string,
  nodeCompat = true,
  alias: Record<string, string> = {},
  external: string[] = [],
): Promise<string> {
  const outfile = join(mkdtempSync(join(tmpdir(), 'igk-worker-')), 'worker.js');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser', 'import'],
    mainFields: ['module', 'main'],
    alias,
    external,
    plugins: nodeCompat ? [nodeBuiltins] : [],
    logLevel: 'error',
  });
  return outfile;
}

/** A Worker running in workerd (Miniflare, under Node 22). */
export interface RunningWorker {
  url: string;
  /** Miniflare's process output so far, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/** Starts Miniflare with JSON-only options (scriptPath, d1Databases, r2Buckets, queue bindings...) in a Node 22 child. */
export async function startWorker(options: Record<string, unknown>, startTimeoutMs = 60_000): Promise<RunningWorker> {
  const node = findNode22();
  if (!node.ok) throw new Error(node.reason);
  const file = join(mkdtempSync(join(tmpdir(), 'igk-mf-')), 'options.json');
  // Module names are paths relative to modulesRoot, which must hold the bundle.
  const modulesRoot = typeof options.scriptPath === 'string' ? dirname(options.scriptPath) : undefined;
  // port 0: a free port each, so test files may run Miniflare side by side.
  writeFileSync(file, JSON.stringify({ modules: true, modulesRoot, port: 0, compatibilityDate: '2025-01-01', ...options }));
  const child: ChildProcess = spawn(node.path, [join(here, 'miniflare-runner.mjs'), file], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Miniflare did not start in ${startTimeoutMs} ms:\n${output}`)), startTimeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      const ready = /READY (\S+)/.exec(output);
      if (ready) {
        clearTimeout(timer);
        resolve(ready[1]!);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Miniflare exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    log: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin!.end();
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}
