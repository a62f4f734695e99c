import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, { import: { types: string; default: string }; require: { types: string; default: string } } | string>;
  dependencies: Record<string, string>;
};
const subpaths = Object.keys(pkg.exports).filter((s) => s !== './package.json');
const specifier = (subpath: string) => (subpath === '.' ? 'imagegen-kit' : `imagegen-kit/${subpath.slice(2)}`);

/** Runs node in the package folder, where `imagegen-kit` resolves to itself through `exports`. */
function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('the built package', () => {
  beforeAll(() => {
    // `npm test` builds right before vitest and says so; run alone, this test builds for itself.
    if (process.env.IMAGEGEN_JUST_BUILT === '1') return;
    execFileSync('npx', ['tsup', '--silent'], { cwd: root, stdio: 'pipe' });
  }, 180_000);

  it('lists types first in every export condition', () => {
    for (const subpath of subpaths) {
      const entry = pkg.exports[subpath] as { import: Record<string, string>; require: Record<string, string> };
      expect(Object.keys(entry.import)[0], subpath).toBe('types');
      expect(Object.keys(entry.require)[0], subpath).toBe('types');
    }
  });

  it.each(subpaths)('imports %s from ESM and CJS with the same exports', (subpath) => {
    const name = specifier(subpath);
    const esm = node([
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(name)}); console.log(JSON.stringify(Object.keys(m).filter(k => k !== 'default').sort()))`,
    ]);
    const cjs = node(['-e', `const m = require(${JSON.stringify(name)}); console.log(JSON.stringify(Object.keys(m).sort()))`]);
    const esmKeys = JSON.parse(esm) as string[];
    expect(esmKeys.length, `${name} exports nothing`).toBeGreaterThan(0);
    expect(JSON.parse(cjs)).toEqual(esmKeys);
    const entry = pkg.exports[subpath] as { import: { types: string }; require: { types: string } };
    expect(readFileSync(join(root, entry.import.types), 'utf8').length).toBeGreaterThan(0);
    expect(readFileSync(join(root, entry.require.types), 'utf8').length).toBeGreaterThan(0);
  });

  it('exports exactly the public names from the root entry, at most 40 at run time', () => {
    const names = JSON.parse(
      node(['--input-type=module', '-e', `const m = await import('imagegen-kit'); console.log(JSON.stringify(Object.keys(m).sort()))`]),
    ) as string[];
    expect(names.length).toBeLessThanOrEqual(40);
    // Adding a name is a promise to keep it: do it here on purpose, not by an `export *`.
    expect(names).toEqual(ROOT_NAMES);
  });

  it('keeps the root entry free of adapters and Node-only modules', () => {
    const allowed = new Set(Object.keys(pkg.dependencies).filter((d) => d !== 'ipaddr.js'));
    const seen = new Set<string>();
    const bare = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/(?:from\s*|import\s*\(\s*|import\s+)["']([^"']+)["']/g)) {
        const spec = match[1]!;
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
        else bare.add(spec);
      }
    };
    visit(join(root, 'dist/index.js'));
    const offending = [...bare].filter(
      (s) => !allowed.has(s.split('/')[0]!.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!),
    );
    expect(offending).toEqual([]);
    expect([...seen].some((f) => f.includes('adapters'))).toBe(false);
  });

  it('gives adapter authors the same provider classes as the adapters use, in ESM and CJS', () => {
    const names = ['adapter-kit', 'adapters/providers/provider-kit', 'adapters/providers/webhooks'].map((s) => `imagegen-kit/${s}`);
    const check = (load: string) =>
      `const [kit, parts, hooks] = [${names.map((n) => `${load}(${JSON.stringify(n)})`).join(', ')}];` +
      'console.log(JSON.stringify([kit.StatusInbox === parts.StatusInbox, kit.StatusInbox === hooks.StatusInbox, kit.KeyPool === parts.KeyPool, kit.HttpStatusError === parts.HttpStatusError]))';
    const esm = node(['--input-type=module', '-e', check('await import')]);
    const cjs = node(['-e', check('require')]);
    expect(JSON.parse(esm)).toEqual([true, true, true, true]);
    expect(JSON.parse(cjs)).toEqual([true, true, true, true]);
  });
});

const ROOT_NAMES = [
  'ASPECT_RATIOS',
  'ConflictError',
  'ImageGenError',
  'InsufficientCreditsError',
  'NotFoundError',
  'OUTPUT_FORMATS',
  'PayloadTooLargeError',
  'ProviderError',
  'RateLimitedError',
  'TimeoutError',
  'UnauthorizedError',
  'UnsupportedMediaTypeError',
  'ValidationError',
  'assertUsername',
  'batchCreatedResponseSchema',
  'batchGenerateRequestSchema',
  'batchId',
  'batchListResponseSchema',
  'publicBatchSchema',
  'publicBatchSummarySchema',
  'publicTaskSchema',
  'createEngine',
  'creditsResponseSchema',
  'errorBodySchema',
  'generateRequestSchema',
  'generateResponseSchema',
  'publicGenerationRecordSchema',
  'imageToImageRequestSchema',
  'imageToImageResponseSchema',
  'isImageGenError',
  'ledgerEntrySchema',
  'parseBatchId',
  'parseEngineRole',
  'parseRecordId',
  'progressEventSchema',
  'recordListResponseSchema',
  'retryResponseSchema',
  'taskId',
  'uploadImage',
  'uploadResponseSchema',
].sort();
