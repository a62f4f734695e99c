import { build } from 'esbuild';

/** Bundles the page's script (which uses the typed client from `src/client`) for browsers, in memory. */
export async function bundleWebApp(): Promise<string> {
  const result = await build({
    entryPoints: [new URL('./web/app.ts', import.meta.url).pathname],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}
