import { fork, type ChildProcess } from 'node:child_process';

type Stats = { submits: number; polls: number; rejected: number; maxActivePerKey: number; webhooksSent: number; webhookFailures: number };

/** Starts `fake-bfl-process.ts` in a child process; resolves once it listens. */
export async function startRemoteFakeBfl(options: { latencyMs: number; concurrencyPerKey: number }) {
  const child: ChildProcess = fork(
    new URL('./fake-bfl-process.ts', import.meta.url).pathname,
    [String(options.latencyMs), String(options.concurrencyPerKey)],
    {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const next = <T>(key: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (message: Record<string, unknown>) => {
        if (!(key in message)) return;
        child.off('message', onMessage);
        resolve(message[key] as T);
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`fake BFL process exited (${code})`)));
    });
  const url = await next<string>('url');
  return {
    url,
    stats: async (): Promise<Stats> => {
      const reply = next<Stats>('stats');
      child.send('stats');
      return reply;
    },
    close: async () => {
      child.send('close');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
