import type { Socket } from 'node:net';
import type { Redis } from 'ioredis';

/**
 * Returns a function that, called before a command is sent, corks the client's socket until the
 * end of this turn of the event loop (`setImmediate`): every command issued meanwhile (the steps
 * of many tasks resumed by one batch of replies) leaves in one `writev`. Unlike ioredis's
 * auto-pipelining it never holds commands back while an earlier batch awaits its replies, and it
 * adds no pipeline objects. Replies and their order are those of plain commands.
 */
export function writeCoalescer(client: Redis): () => void {
  let corked: Socket | null = null;
  const release = () => {
    const socket = corked;
    corked = null;
    socket?.uncork();
  };
  return () => {
    if (corked || client.status !== 'ready') return;
    // `stream` is the client's socket while connected (ioredis keeps it public but untyped).
    const socket = (client as unknown as { stream?: Socket }).stream;
    if (!socket || typeof socket.cork !== 'function') return;
    corked = socket;
    socket.cork();
    setImmediate(release);
  };
}
