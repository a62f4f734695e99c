import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** Sizes of one module bundled the way a frontend would ship it. */
export interface BrowserBundleSize {
  /** Minified bytes. */
  minified: number;
  /** The minified bundle gzipped at level 9. */
  gzipped: number;
}

/**
 * Bundles `specifier` (a package name, or a path relative to the project root) with esbuild for
 * the browser — ESM, minified, every export kept — and gzips the result. No file is written.
 */
export async function browserBundleSize(specifier: string): Promise<BrowserBundleSize> {
  const root = new URL('..', import.meta.url).pathname;
  const result = await build({
    stdin: { contents: `export * from ${JSON.stringify(specifier)};`, resolveDir: root, loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.contents;
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
}
