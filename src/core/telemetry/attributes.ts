/** Attribute names of the engine's spans and metrics, in one place. Values are ids and names, never secrets. */
export const ATTR = {
  batchId: 'imagegen.batch.id',
  batchTasks: 'imagegen.batch.tasks',
  taskIndex: 'imagegen.task.index',
  attempt: 'imagegen.task.attempt',
  outcome: 'imagegen.outcome',
  provider: 'imagegen.provider',
  model: 'imagegen.model',
  keyLabel: 'imagegen.provider.key',
  operation: 'imagegen.provider.operation',
  user: 'enduser.id',
  replayed: 'imagegen.replayed',
} as const;
