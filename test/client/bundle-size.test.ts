import { describe, expect, it } from 'vitest';
import { browserBundleSize } from '../../bench/browser-bundle.js';

/** What `imagegen-kit/client` may add to a page, gzipped (esbuild, minified, for the browser). */
const BUDGET_BYTES = 10_240;

describe('imagegen-kit/client in a browser bundle', () => {
  it(`stays within ${BUDGET_BYTES} bytes gzipped, validation included`, async () => {
    const size = await browserBundleSize('./src/client/index.ts');
    console.log(`imagegen-kit/client: ${size.minified} B minified, ${size.gzipped} B gzipped (budget ${BUDGET_BYTES} B)`);
    expect(size.gzipped).toBeLessThanOrEqual(BUDGET_BYTES);
  });
});
