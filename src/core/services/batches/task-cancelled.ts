/**
 * Aborts a run whose task was cancelled (the cancel already wrote `cancelled`, with its refund).
 * Not a ShutdownSignal: the runner tells the provider to stop working on the request, and the
 * worker writes nothing more.
 */
export class TaskCancelled extends Error {
  constructor() {
    super('The task was cancelled');
    this.name = 'TaskCancelled';
  }
}
