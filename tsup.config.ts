import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

/**
 * One entry per file the `exports` map points at, so adding a subpath there is the only step.
 * Two subpaths naming the same file would build it once.
 */
const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, string | { import: { default: string } }>;
  peerDependencies: Record<string, string>;
};
const entry = Object.fromEntries(
  Object.values(pkg.exports)
    .filter((target): target is { import: { default: string } } => typeof target === 'object')
    .map((target) => {
      const name = target.import.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '');
      return [name, `src/${name}.ts`];
    }),
);

export default defineConfig({
  entry,
  format: ['esm', 'cjs'],
  dts: true,
  // Shared chunks in both formats: one copy of each class, so instanceof holds across subpaths.
  splitting: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // `import.meta.url` in the CommonJS build too (the SQLite checkpoint thread resolves better-sqlite3 from it).
  shims: true,
  external: Object.keys(pkg.peerDependencies),
});
