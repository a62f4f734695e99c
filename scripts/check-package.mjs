#!/usr/bin/env node
// Packs the package as `npm publish` would (prepack builds it) and checks the tarball: it holds
// the built entry points, publint finds nothing, and Are the Types Wrong finds nothing for
// node16 (ESM and CJS) and bundler resolution. Run by .ci/run on a fresh clone after `npm ci`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const out = mkdtempSync(join(tmpdir(), 'igk-pack-'));
const run = (cmd, args) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
try {
  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', out]));
  const tarball = join(out, packed.filename);
  const files = new Set(packed.files.map((f) => f.path));
  const required = ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', 'README.md', 'LICENSE', 'docs/contract.md'];
  const missing = required.filter((f) => !files.has(f));
  if (missing.length > 0) throw new Error(`the tarball lacks ${missing.join(', ')}`);
  console.log(`packed ${packed.filename}: ${packed.files.length} files, ${packed.size} bytes`);
  process.stdout.write(run('npx', ['publint', 'run', tarball, '--strict']));
  process.stdout.write(run('npx', ['attw', tarball, '--profile', 'node16', '--no-emoji', '--no-color']));
} catch (error) {
  console.error(`check-package: ${error.message}`);
  process.exitCode = 1;
} finally {
  rmSync(out, { recursive: true, force: true });
}
