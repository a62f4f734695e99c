import { buildOpenApiDocument } from './src/adapters/http/index.js';
import { validate } from '@readme/openapi-parser';
const d = buildOpenApiDocument({ maxTasksPerBatch: 25 });
console.log(JSON.stringify(d, null, 1).slice(0, 200000));
console.log(await validate(structuredClone(d) as any));
