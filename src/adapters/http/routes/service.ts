import { z } from 'zod';
import { NotFoundError } from '../../../core/errors/not-found-error.js';
import { webhookAckSchema } from '../../../core/schemas/responses.js';
import { json } from '../json.js';
import type { Route } from '../route-context.js';

/** The minimum every OpenAPI document has; the rest is described by the document itself. */
export const openApiDocumentSchema = z
  .object({
    openapi: z.string(),
    info: z.object({ title: z.string(), version: z.string() }).catchall(z.unknown()),
    paths: z.record(z.string(), z.unknown()),
  })
  .catchall(z.unknown());

/** Routes of the handler itself rather than of the engine: its document and the provider webhooks. */
export const serviceRoutes: Route[] = [
  {
    method: 'GET',
    path: '/openapi.json',
    auth: false,
    doc: {
      summary: 'This document (OpenAPI 3.1)',
      responses: { 200: { description: 'The OpenAPI document of this handler', json: openApiDocumentSchema } },
      errors: [],
    },
    handle: async (ctx) => json(ctx.settings.openApiDocument()),
  },
  {
    method: 'POST',
    path: '/webhooks/:provider',
    auth: false,
    doc: {
      summary: "A provider's signed status delivery (mounted when the host passes `webhooks`)",
      description:
        "The body is checked against the provider's signature (BFL, fal, Replicate) by the host's `webhooks` handler; `createWebhookHandler` answers as documented here. Without `webhooks` the route is a 404.",
      params: z.object({ provider: z.string() }),
      body: { json: z.record(z.string(), z.unknown()), description: "The provider's delivery, as it sends it" },
      responses: { 200: { description: 'Delivery verified and recorded', json: webhookAckSchema } },
      errors: [400, 401, 404, 413, 503],
    },
    handle: async (ctx) => {
      if (!ctx.settings.webhooks) throw new NotFoundError('Route', ctx.url.pathname);
      return ctx.settings.webhooks(ctx.request, ctx.params.provider!);
    },
  },
];
