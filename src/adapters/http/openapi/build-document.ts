import { z } from 'zod';
import {
  batchCreatedResponseSchema,
  batchListResponseSchema,
  creditsResponseSchema,
  errorBodySchema,
  generateResponseSchema,
  imageToImageResponseSchema,
  uploadResponseSchema,
} from '../../../core/schemas/responses.js';
import { batchRecordSchema, batchTaskSchema } from '../../../core/schemas/records.js';
import {
  batchGenerateRequestSchema,
  generateRequestSchema,
  imageToImageRequestSchema,
  taskRefRequestSchema,
} from '../../../core/schemas/requests.js';
import { progressEventSchema, recordListResponseSchema, retryResponseSchema } from '../../../core/schemas/wire.js';

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (schema: unknown) => ({ 'application/json': { schema } });

const ERROR_STATUSES: Record<string, string> = {
  '400': 'Validation failed; `field` names the bad input',
  '401': 'No or invalid bearer token',
  '402': 'Not enough credits; `required` and `available` say how many',
  '404': 'Unknown, or not yours',
  '409': 'Conflict (an Idempotency-Key reused with another body, a task not in the expected state)',
  '413': 'Too large',
  '415': 'Not a JPEG, PNG or WebP image',
  '429': 'Rate limited; see Retry-After',
  '502': 'The image provider failed (credits refunded)',
  '504': 'The image provider timed out (credits refunded)',
};

function errors(...statuses: string[]) {
  return Object.fromEntries(statuses.map((s) => [s, { description: ERROR_STATUSES[s], content: jsonContent(ref('Error')) }]));
}

const idempotencyHeader = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: 'Same key + same body replays the first response without charging again; same key + another body is a 409.',
  schema: { type: 'string', minLength: 1, maxLength: 200 },
};
const pageParams = [
  { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
  { name: 'cursor', in: 'query', required: false, schema: { type: 'string' }, description: 'The `next_cursor` of the previous page' },
];
const batchIdParam = { name: 'batch_id', in: 'query', required: true, schema: { type: 'string' }, example: 'batch:alice:1707654321000' };

function op(
  summary: string,
  body: { schema: unknown; multipart?: boolean } | null,
  ok: unknown,
  codes: string[],
  extra: Record<string, unknown> = {},
) {
  return {
    summary,
    ...(body
      ? {
          requestBody: {
            required: true,
            content: body.multipart ? { 'multipart/form-data': { schema: body.schema } } : jsonContent(body.schema),
          },
        }
      : {}),
    responses: { '200': { description: 'OK', content: jsonContent(ok) }, ...errors('401', ...codes) },
    ...extra,
  };
}

/** Options of {@link buildOpenApiDocument}. */
export interface OpenApiOptions {
  /** @default '/api' */
  basePath?: string;
  /** @default 10 */
  maxTasksPerBatch?: number;
  /** @default 'imagegen-kit' */
  title?: string;
}

/**
 * The OpenAPI 3.1 document of the handler's endpoints, generated from the same zod schemas the
 * handler and the client validate with.
 */
export function buildOpenApiDocument(options: OpenApiOptions = {}): Record<string, unknown> {
  const base = (options.basePath ?? '/api').replace(/\/+$/, '');
  const charging = { parameters: [idempotencyHeader] };
  const paths: Record<string, Record<string, unknown>> = {
    '/upload-image': {
      post: op(
        'Upload an image (JPEG, PNG or WebP, decided by its bytes) and get it back as a data URL',
        {
          multipart: true,
          schema: {
            type: 'object',
            required: ['image'],
            properties: { image: { type: 'string', contentMediaType: 'application/octet-stream' } },
          },
        },
        ref('UploadResponse'),
        ['400', '413', '415'],
      ),
    },
    '/image-to-image': {
      post: op(
        'Image-to-image (2 credits, refunded if it fails)',
        { schema: ref('ImageToImageRequest') },
        ref('ImageToImageResponse'),
        ['400', '402', '409', '413', '429', '502', '504'],
        charging,
      ),
    },
    '/generate': {
      post: op(
        'Text-to-image (1 credit, refunded if it fails)',
        { schema: ref('GenerateRequest') },
        ref('GenerateResponse'),
        ['400', '402', '409', '413', '429', '502', '504'],
        charging,
      ),
    },
    '/batch/generate': {
      post: op(
        'Create a batch (1 credit per task, charged at submit)',
        { schema: ref('BatchGenerateRequest') },
        ref('BatchCreatedResponse'),
        ['400', '402', '409', '413', '429'],
        charging,
      ),
    },
    '/batch/status': { get: op('The batch record', null, ref('BatchRecord'), ['400', '404'], { parameters: [batchIdParam] }) },
    '/batch/list': { get: op("The user's batches, newest first", null, ref('BatchListResponse'), ['400'], { parameters: pageParams }) },
    '/batch/process': { post: op('Run one task now and return it', { schema: ref('TaskRef') }, ref('BatchTask'), ['400', '404']) },
    '/batch/retry': {
      post: op(
        'Queue a failed task again (charges again)',
        { schema: ref('TaskRef') },
        ref('RetryResponse'),
        ['400', '402', '404', '409', '429'],
        charging,
      ),
    },
    '/batch/events': {
      get: {
        summary: 'Server-Sent Events of one batch: `snapshot`, `progress`, `task`, then `completed` (the stream ends)',
        parameters: [batchIdParam],
        responses: {
          '200': {
            description:
              'An event stream; `progress` data is ProgressEvent, `task` data is BatchTask, `snapshot` and `completed` data is BatchRecord',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...errors('400', '401', '404'),
        },
      },
    },
    '/credits': { get: op('Balance and ledger entries, newest first', null, ref('CreditsResponse'), ['400'], { parameters: pageParams }) },
    '/records': { get: op('Single generations, newest first', null, ref('RecordListResponse'), ['400'], { parameters: pageParams }) },
    '/images/{key}': {
      get: {
        summary: 'A stored image of the user',
        parameters: [{ name: 'key', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': { description: 'The image', content: { 'image/png': {}, 'image/jpeg': {}, 'image/webp': {} } },
          ...errors('401', '404'),
        },
      },
    },
    '/openapi.json': {
      get: {
        summary: 'This document',
        security: [],
        responses: { '200': { description: 'OpenAPI 3.1', content: jsonContent({ type: 'object' }) } },
      },
    },
  };

  return {
    openapi: '3.1.0',
    info: {
      title: options.title ?? 'imagegen-kit',
      version: '1',
      description: 'Text-to-image, image-to-image and queued batches with per-user credits.',
    },
    servers: [{ url: base || '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: schemaOf(errorBodySchema, 'output'),
        UploadResponse: schemaOf(uploadResponseSchema, 'output'),
        ImageToImageRequest: schemaOf(imageToImageRequestSchema, 'input'),
        ImageToImageResponse: schemaOf(imageToImageResponseSchema, 'output'),
        GenerateRequest: schemaOf(generateRequestSchema, 'input'),
        GenerateResponse: schemaOf(generateResponseSchema, 'output'),
        BatchGenerateRequest: schemaOf(batchGenerateRequestSchema(options.maxTasksPerBatch), 'input'),
        BatchCreatedResponse: schemaOf(batchCreatedResponseSchema, 'output'),
        BatchRecord: schemaOf(batchRecordSchema, 'output'),
        BatchTask: schemaOf(batchTaskSchema, 'output'),
        BatchListResponse: schemaOf(batchListResponseSchema, 'output'),
        TaskRef: schemaOf(taskRefRequestSchema, 'input'),
        RetryResponse: schemaOf(retryResponseSchema, 'output'),
        ProgressEvent: schemaOf(progressEventSchema, 'output'),
        CreditsResponse: schemaOf(creditsResponseSchema, 'output'),
        RecordListResponse: schemaOf(recordListResponseSchema, 'output'),
      },
    },
  };
}
