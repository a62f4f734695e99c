import { type FormEvent, useState } from 'react';
import type { PublicTask } from '../../src/client/index.js';
import { useBatch, useSubmitBatch } from '../../src/react/index.js';
import { describeError } from './describe-error.js';

/** A batch of prompts, one per line, each task's progress live and its image when done. */
export function BatchPanel() {
  const [prompts, setPrompts] = useState('');
  const submit = useSubmitBatch();
  const { batch, error, isDone, retry } = useBatch(submit.batchId);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void submit.submit({
      prompts: prompts
        .split('\n')
        .map((p) => p.trim())
        .filter(Boolean),
    });
  };
  const failure = submit.error ?? error;
  return (
    <section aria-labelledby="batch-title">
      <h2 id="batch-title">Generate a batch</h2>
      <form onSubmit={onSubmit}>
        <label>
          Prompts, one per line
          <textarea value={prompts} onChange={(e) => setPrompts(e.target.value)} data-testid="batch-prompts" />
        </label>
        <button type="submit" disabled={submit.isPending} data-testid="batch-submit">
          Generate · 1 credit each
        </button>
      </form>
      {failure != null && (
        <p className="error" role="alert" data-testid="error">
          {describeError(failure)}
        </p>
      )}
      {batch && (
        <>
          <p className="muted" data-testid="batch-status">
            {isDone ? 'completed' : batch.status} · {batch.completedTasks} of {batch.totalTasks} done
          </p>
          <ol className="tasks">
            {batch.tasks.map((task, index) => (
              <TaskRow key={task.taskId} task={task} index={index} onRetry={() => void retry(index)} />
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

function TaskRow({ task, index, onRetry }: { task: PublicTask; index: number; onRetry(): void }) {
  return (
    <li className="task" data-testid="task">
      {task.result ? (
        <img src={task.result.imageUrl} alt={task.prompt} data-testid="task-image" />
      ) : (
        <div className="thumb" aria-hidden="true" />
      )}
      <div>
        <div>{task.prompt}</div>
        <progress
          max={100}
          value={task.progress}
          aria-label={`Progress of image ${index + 1}: ${task.prompt}`}
          data-progress={task.progress}
          data-testid="task-progress"
        />
        <div className="muted">
          {task.status} · {Math.round(task.progress)} %{task.error ? ` · ${task.error}` : ''}
        </div>
        {task.status === 'failed' && (
          <button type="button" onClick={onRetry} data-testid="retry">
            Retry · 1 credit
          </button>
        )}
      </div>
    </li>
  );
}
