import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

/** One entry per subpath of the `exports` map, so adding a subpath there is the only step. */
const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, unknown>;
  peerDependencies: Record<string, string>;
};
const entry = Object.fromEntries(
  Object.keys(pkg.exports)
    .filter((subpath) => subpath !== './package.json')
    .map((subpath) => {
      const name = subpath === '.' ? 'index' : `${subpath.slice(2)}/index`;
      return [name, `src/${name}.ts`.replace('src/index/index.ts', 'src/index.ts')];
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
  external: Object.keys(pkg.peerDependencies),
});
