import { z } from 'zod';

/**
 * zod compiles fast paths with `new Function`, probing whether it may when each object schema is
 * built; the page's CSP has no 'unsafe-eval', and even the caught probe is reported as a
 * violation. This module is the page's first import, so it runs before any schema is built. (It
 * exports the flag because the package declares `sideEffects: false`: a bare `import './x.js'`
 * would be dropped by the bundler.)
 */
export const zodJitless: boolean = z.config({ jitless: true }).jitless === true;
