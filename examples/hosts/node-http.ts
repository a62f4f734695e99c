/** Plain node:http: @hono/node-server turns Node's request into a Web Request and back. */
import { createServer } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { handler } from './shared.js';

createServer(getRequestListener(handler)).listen(3002, () => console.log('node:http on http://localhost:3002/api'));
