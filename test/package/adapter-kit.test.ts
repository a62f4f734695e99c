import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, { import: { types: string; default: string } } | string>;
};

// `npm test` builds right before vitest and says so; run alone, this test builds for itself, into
// a folder of its own so that it never reads `dist` while build.test.ts is rebuilding it.
const justBuilt = process.env.IMAGEGEN_JUST_BUILT === '1';
const outDir = justBuilt ? join(root, 'dist') : join(root, '.tmp', `adapter-kit-test-${process.pid}`);
if (!justBuilt) execFileSync('npx', ['tsup', '--silent', '--out-dir', outDir], { cwd: root, stdio: 'pipe' });
afterAll(() => {
  if (!justBuilt) rmSync(outDir, { recursive: true, force: true });
});

/** The built file a subpath of the package's `exports` points at (ESM condition). */
function built(subpath: string, key: 'default' | 'types' = 'default'): string {
  const target = pkg.exports[subpath];
  if (typeof target !== 'object') throw new Error(`no export ${subpath}`);
  return join(outDir, target.import[key].replace(/^\.\/dist\//, ''));
}

const kit = (await import(pathToFileURL(built('./adapter-kit')).href)) as typeof import('../../src/adapter-kit/index.js');
const memory = (await import(
  pathToFileURL(built('./adapters/storage/memory')).href
)) as typeof import('../../src/adapters/storage/memory/index.js');

describe('imagegen-kit/adapter-kit, built', () => {
  it('declares the conformance runner without any test runner’s types', () => {
    expect(readFileSync(built('./adapter-kit', 'types'), 'utf8')).toContain('runStorageConformance');
    const declarations = readdirSync(outDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.d.ts'));
    expect(declarations.length).toBeGreaterThan(0);
    // An import or a type reference at the start of a line, not the `@example` in a doc comment.
    const runner = /^(import|export)\b.*\bfrom ['"](vitest|jest|@jest\/[^'"]+)['"]|^\/\/\/ <reference types="(vitest|jest)/m;
    const mentioning = declarations.filter((f) => runner.test(readFileSync(join(outDir, f), 'utf8')));
    expect(mentioning).toEqual([]);
  });
});

kit.runStorageConformance({
  name: 'memory, from the built package',
  create: async () => ({ storage: memory.createMemoryStorage() }),
  describe,
  it,
  expect,
  beforeAll,
  afterAll,
});
