import react from '@vitejs/plugin-react';
import { build } from 'vite';

/**
 * Builds the page with Vite (production, minified) into `outDir`. No config file: this is the
 * whole config, so the test and `main.ts` build the same page.
 */
export async function buildReactExample(outDir: string): Promise<void> {
  await build({
    root: import.meta.dirname,
    configFile: false,
    base: '/',
    logLevel: 'warn',
    plugins: [react()],
    build: { outDir, emptyOutDir: true, target: 'es2022', sourcemap: false },
  });
}
