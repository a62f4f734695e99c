import { NotFoundError } from '../../../../core/errors/not-found-error.js';
import { json } from '../../json.js';
import { adminBody } from '../body.js';
import type { AdminRoute } from '../context.js';
import type { AdminCancel } from '../options.js';
import { adminCancelRequestSchema, adminCancelResponseSchema } from '../schemas.js';

export const batchRoutes: AdminRoute[] = [
  {
    method: 'POST',
    path: '/batches/cancel',
    doc: {
      summary: "Cancel any user's batch, or one task of it",
      description: "Runs the engine's `batches.cancel` as the batch's owner would; an engine without it answers 501.",
      body: { json: adminCancelRequestSchema },
      responses: { 200: { description: 'What the cancel did', json: adminCancelResponseSchema } },
      errors: [400, 404, 409, 413, 501],
    },
    handle: async (ctx) => {
      const body = await adminBody(ctx, adminCancelRequestSchema);
      const { batches, storage } = ctx.settings.engine;
      // Compiles with or without `cancel` on the engine; decided when the request comes.
      const cancel = (batches as unknown as { cancel?: AdminCancel }).cancel;
      if (typeof cancel !== 'function') {
        return json({ error: 'This engine cannot cancel batches (engine.batches.cancel is missing)', code: 'not_implemented' }, 501);
      }
      const batch = await storage.getBatch(body.batch_id);
      if (!batch) throw new NotFoundError('Batch', body.batch_id);
      const taskIndex = body.task_index ?? null;
      const result = await cancel.call(batches, batch.username, body.batch_id, taskIndex === null ? {} : { taskIndex });
      ctx.settings.audit({
        admin: ctx.admin,
        action: 'batches.cancel',
        details: { username: batch.username, batchId: body.batch_id, taskIndex },
      });
      return json({ batch_id: body.batch_id, username: batch.username, task_index: taskIndex, result });
    },
  },
];
