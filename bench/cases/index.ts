import type { BenchCase } from '../case.js';
import { memoryEngineCase } from './memory-engine.js';

/** Every benchmark case, in the order `npm run bench` runs them. */
export const cases: BenchCase[] = [memoryEngineCase];
