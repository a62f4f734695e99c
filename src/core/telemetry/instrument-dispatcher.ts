import type { Dispatcher, TaskJob, TaskRunner } from '../ports/dispatcher.js';
import type { ProviderAdapter } from '../ports/provider-adapter.js';
import type { Telemetry, TelemetryAttributes } from '../ports/telemetry.js';
import { ATTR } from './attributes.js';

/**
 * The dispatcher with traces: each job queued carries the `traceparent` of the span that queued it
 * (the batch submit), and each run is an `imagegen.task.run` span, a child of that one even in
 * another process, with the batch id, task index, provider, model, key label, attempt and outcome;
 * a run that reached the provider records its duration. The job queue itself is untouched.
 */
export function instrumentDispatcher(dispatcher: Dispatcher, telemetry: Telemetry, provider: ProviderAdapter): Dispatcher {
  const traced: Dispatcher = {
    distributed: dispatcher.distributed,
    start: (runner) => dispatcher.start(tracedRunner(runner, telemetry, provider)),
    enqueue(jobs) {
      telemetry.tasksEnqueued(jobs.length);
      const traceparent = telemetry.traceparent();
      if (!traceparent) return dispatcher.enqueue(jobs);
      return dispatcher.enqueue(jobs.map((job): TaskJob => (job.traceparent ? job : { ...job, traceparent })));
    },
    stop: (options) => dispatcher.stop(options),
  };
  if (dispatcher.close) traced.close = () => dispatcher.close!();
  if (dispatcher.onIdle) traced.onIdle = () => dispatcher.onIdle!();
  if (dispatcher.ping) traced.ping = () => dispatcher.ping!();
  if (dispatcher.counts) traced.counts = () => dispatcher.counts!();
  return traced;
}

function tracedRunner(runner: TaskRunner, telemetry: Telemetry, provider: ProviderAdapter): TaskRunner {
  const model = provider.model ?? provider.name;
  return (job, hooks) => {
    const started = performance.now();
    const attributes: TelemetryAttributes = {
      [ATTR.batchId]: job.batchId,
      [ATTR.taskIndex]: job.index,
      [ATTR.provider]: provider.name,
      [ATTR.model]: model,
    };
    return telemetry.span('imagegen.task.run', { kind: 'consumer', attributes, parent: job.traceparent ?? null }, async (span) => {
      const outcome = await runner(job, hooks);
      const state = outcome ?? { state: 'done' as const };
      const ran = state.state === 'done' ? state.ran : undefined;
      const ended = ran ? ran.outcome : state.state === 'done' ? 'skipped' : state.state;
      const more: TelemetryAttributes = { [ATTR.outcome]: ended };
      if (ran) {
        more[ATTR.attempt] = ran.attempt;
        const label = ran.requestId ? provider.keyLabelOf?.(ran.requestId) : undefined;
        if (label) more[ATTR.keyLabel] = label;
        telemetry.taskEnded((performance.now() - started) / 1000, {
          [ATTR.provider]: provider.name,
          [ATTR.model]: model,
          [ATTR.outcome]: ended,
        });
      }
      span.setAttributes(more);
      return outcome;
    });
  };
}
