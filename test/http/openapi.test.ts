import { validate } from '@readme/openapi-parser';
import { describe, expect, it } from 'vitest';
import { createTestApp } from './app.js';

describe('GET /api/openapi.json', () => {
  it('serves an OpenAPI 3.1 document, without sign-in, that a third-party validator accepts', async () => {
    const app = await createTestApp();
    const response = await app.call('GET', '/api/openapi.json', { user: null });
    expect(response.status).toBe(200);
    const document = await response.json();
    expect(document.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(document));
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/upload-image',
        '/image-to-image',
        '/generate',
        '/batch/generate',
        '/batch/status',
        '/batch/list',
        '/batch/process',
        '/batch/retry',
        '/batch/events',
        '/credits',
        '/images/{key}',
      ]),
    );
    expect(document.components.schemas.BatchRecord.required).toEqual(
      expect.arrayContaining([
        'batchId',
        'username',
        'tasks',
        'totalTasks',
        'completedTasks',
        'failedTasks',
        'status',
        'createdAt',
        'updatedAt',
      ]),
    );
    await app.close();
  });
});
