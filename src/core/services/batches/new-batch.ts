import { taskId as makeTaskId } from '../../ids.js';
import type { TaskJob } from '../../ports/dispatcher.js';
import { PROGRESS } from '../../policy/progress.js';
import type { BatchRecord, BatchTask } from '../../schemas/records.js';

/** A batch as it is created: one `pending` task per prompt, nothing run yet. */
export function newBatchRecord(
  batchId: string,
  username: string,
  prompts: string[],
  params: BatchTask['params'],
  createdAt: number,
): BatchRecord {
  return {
    batchId,
    username,
    tasks: prompts.map((prompt, index) => newTask(batchId, index, prompt, params, createdAt)),
    totalTasks: prompts.length,
    completedTasks: 0,
    failedTasks: 0,
    cancelledTasks: 0,
    status: 'pending',
    createdAt,
    updatedAt: createdAt,
  };
}

/** The first job of each task of a batch just created. */
export function firstJobs(batch: BatchRecord): TaskJob[] {
  return batch.tasks.map((_, index) => ({ batchId: batch.batchId, index, username: batch.username, attempt: 0 }));
}

function newTask(batchId: string, index: number, prompt: string, params: BatchTask['params'], createdAt: number): BatchTask {
  return {
    taskId: makeTaskId(batchId, index),
    prompt,
    params: { ...params },
    status: 'pending',
    progress: PROGRESS.queued,
    result: null,
    error: null,
    createdAt,
    attempts: 0,
    startedAt: null,
    completedAt: null,
    providerRequestId: null,
    leaseExpiresAt: null,
  };
}
