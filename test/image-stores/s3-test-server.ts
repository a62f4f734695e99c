import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SigV4Verdict, verifySigV4 } from './sigv4-verifier.js';

interface S3rver {
  configureBuckets(): Promise<void>;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  logger: { close(): void };
}
const S3rverClass = createRequire(import.meta.url)('s3rver') as new (options: Record<string, unknown>) => S3rver;

export interface S3TestServer {
  /** `http://127.0.0.1:{port}` (the first of `hosts`): path-style only. */
  endpoint: string;
  /** One endpoint per address listened on, in the order of `hosts`, all on one port. */
  endpoints: string[];
  bucket: string;
  region: string;
  /** s3rver's built-in account. */
  accessKeyId: string;
  secretAccessKey: string;
  /** Every request the signature check refused, in order. */
  refused: SigV4Verdict[];
  close(): Promise<void>;
}

const S3_CODES: Record<string, string> = {
  anonymous: 'AccessDenied',
  expired: 'AccessDenied',
  skewed: 'RequestTimeTooSkewed',
  'wrong-credential': 'InvalidAccessKeyId',
  signature: 'SignatureDoesNotMatch',
  malformed: 'AuthorizationQueryParametersError',
};

/**
 * s3rver (a real S3 protocol server, objects on disk in a temp directory) on 127.0.0.1 and a free
 * port, behind an independent SigV4 check: s3rver checks the access key and the expiry of
 * presigned URLs but accepts any V4 signature, so without the check a wrong signature would pass.
 * Anonymous requests are refused too, as by a private bucket. `hosts`: the addresses to listen on.
 */
export async function startS3TestServer(bucket = 'images', hosts: string[] = ['127.0.0.1']): Promise<S3TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 'imagegen-s3rver-'));
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', region: 'us-east-1' };
  const s3rver = new S3rverClass({ silent: true, directory, configureBuckets: [{ name: bucket }] });
  await s3rver.configureBuckets();
  const handle = s3rver.callback();
  const refused: SigV4Verdict[] = [];
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const verdict = verifySigV4({ method: req.method ?? 'GET', rawUrl: req.url ?? '/', headers: req.headers }, credentials);
    if (verdict.ok) return handle(req, res);
    refused.push(verdict);
    req.resume();
    res.writeHead(403, { 'Content-Type': 'application/xml' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${S3_CODES[verdict.reason]}</Code><Message>SigV4 check: ${verdict.reason}</Message></Error>`,
    );
  };
  const servers: Server[] = [];
  let port = 0;
  for (const host of hosts) {
    const server = createServer(onRequest);
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
    port = (server.address() as AddressInfo).port;
    servers.push(server);
  }
  const endpoints = hosts.map((host) => `http://${host}:${port}`);
  return {
    endpoint: endpoints[0]!,
    endpoints,
    bucket,
    ...credentials,
    refused,
    async close() {
      for (const server of servers) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      s3rver.logger.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
