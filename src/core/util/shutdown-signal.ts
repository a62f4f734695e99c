/** The abort reason used when the engine stops: a batch task stays `processing` for recovery. */
export class ShutdownSignal extends Error {
  constructor() {
    super('The engine is shutting down');
    this.name = 'ShutdownSignal';
  }
}
