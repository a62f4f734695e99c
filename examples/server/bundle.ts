import { build } from 'esbuild';

/** Bundles a page's script (`app.ts`, which uses the typed client from `src/client`, or `admin.ts`) for browsers, in memory. */
export async function bundleWebApp(entry: 'app.ts' | 'admin.ts' = 'app.ts'): Promise<string> {
  const result = await build({
    entryPoints: [new URL(`./web/${entry}`, import.meta.url).pathname],
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
