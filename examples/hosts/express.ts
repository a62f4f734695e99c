/** Express 5: mount the Web-standard handler under /api with a few lines of glue. */
import { Readable } from 'node:stream';
import express from 'express';
import { handler } from './shared.js';

const app = express();
app.use('/api', async (req, res) => {
  const url = new URL(req.originalUrl, `http://${req.headers.host ?? 'localhost'}`);
  const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : (Readable.toWeb(req) as ReadableStream<Uint8Array>);
  const response = await handler(
    new Request(url, { method: req.method, headers: req.headers as Record<string, string>, body, duplex: 'half' } as RequestInit),
  );
  res.status(response.status).setHeaders(new Map(response.headers));
  if (response.body) Readable.fromWeb(response.body as import('node:stream/web').ReadableStream).pipe(res);
  else res.end();
});
app.listen(3001, () => console.log('Express on http://localhost:3001/api'));
