import type { TaskProgressEvent } from '../../src/index.js';

/**
 * One progress bar per task, redrawn in place on a terminal. Without a terminal (CI, pipes) it
 * prints a line when a task ends, so logs stay short.
 */
export class ProgressBoard {
  readonly #rows = new Map<string, { label: string; progress: number; status: string }>();
  readonly #tty = Boolean(process.stdout.isTTY);
  #drawn = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  add(taskId: string, label: string): void {
    this.#rows.set(taskId, { label, progress: 0, status: 'pending' });
  }

  update(event: Pick<TaskProgressEvent, 'taskId' | 'progress' | 'status'> & { error?: string }): void {
    const row = this.#rows.get(event.taskId);
    if (!row) return;
    row.progress = event.progress;
    row.status = event.status;
    if (!this.#tty && (event.status === 'completed' || event.status === 'failed')) {
      console.log(`${bar(row.progress)} ${row.status.padEnd(10)} ${row.label}${event.error ? `  (${event.error})` : ''}`);
    }
  }

  start(): void {
    if (this.#tty) this.#timer = setInterval(() => this.draw(), 80);
  }

  stop(): void {
    clearInterval(this.#timer);
    if (this.#tty) this.draw();
  }

  draw(): void {
    if (this.#drawn > 0) process.stdout.write(`\x1b[${this.#drawn}A`);
    const lines = [...this.#rows.values()].map(
      (r) => `\x1b[2K${bar(r.progress)} ${String(r.progress).padStart(3)}% ${r.status.padEnd(10)} ${r.label}`,
    );
    process.stdout.write(`${lines.join('\n')}\n`);
    this.#drawn = lines.length;
  }
}

function bar(progress: number, width = 30): string {
  const filled = Math.round((progress / 100) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}
