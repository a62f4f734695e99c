/**
 * The client side of the sse-connections bench, in its own process so its sockets and buffers are
 * not in the server's heap. argv: port, a JSON file of `[username, batchId]` pairs, connections
 * opened at once. Opens one raw HTTP/1.1 socket per pair (`GET /api/batch/events`), waits until
 * each has its first `snapshot` event, prints `ready`, then holds them until SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

const [portText, file, waveText] = process.argv.slice(2) as [string, string, string];
const port = Number(portText);
const pairs = JSON.parse(readFileSync(file, 'utf8')) as Array<[string, string]>;
const wave = Number(waveText);
const sockets: Socket[] = [];

function open([username, batchId]: [string, string]): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    sockets.push(socket);
    let head: string | null = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      if (head === null) return; // past the snapshot: heartbeats only
      head += chunk;
      if (!head.startsWith('HTTP/1.1 200') && head.includes('\r\n')) reject(new Error(`answered ${head.slice(0, head.indexOf('\r\n'))}`));
      if (head.includes('event: snapshot')) {
        head = null;
        resolve();
      }
    });
    socket.on('error', reject);
    socket.on('close', () => {
      if (head !== null) reject(new Error('closed before the snapshot'));
    });
    socket.write(
      `GET /api/batch/events?batch_id=${encodeURIComponent(batchId)} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
        `Authorization: Bearer ${username}\r\nAccept: text/event-stream\r\n\r\n`,
    );
  });
}

for (let i = 0; i < pairs.length; i += wave) await Promise.all(pairs.slice(i, i + wave).map(open));
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  for (const socket of sockets) socket.destroy();
  process.exit(0);
});
