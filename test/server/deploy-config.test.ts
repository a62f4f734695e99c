import { describe, expect, it } from 'vitest';
import { readServerConfig } from '../../examples/server/config.js';
import { startChild } from '../storage/children.js';

const SERVER = '../../examples/server/main.ts';
// Children inherit the environment: keep the caller's shell settings out of it.
const clean = {
  IMAGEGEN_PROVIDER: 'offline',
  IMAGEGEN_ROLE: '',
  IMAGEGEN_STORAGE: '',
  IMAGEGEN_IMAGES: '',
  REDIS_URL: '',
  DATABASE_URL: '',
  PORT: '0',
  IMAGEGEN_HEALTH_PORT: '',
};
const s3 = {
  IMAGEGEN_IMAGES: 's3',
  S3_ENDPOINT: 'http://10.0.0.1:9000',
  S3_REGION: 'us-east-1',
  S3_BUCKET: 'images',
  S3_ACCESS_KEY_ID: 'id',
  S3_SECRET_ACCESS_KEY: 'secret',
};

describe('reference server configuration (IMAGEGEN_STORAGE, IMAGEGEN_IMAGES)', () => {
  it('reads sessions and sign-in limits: 30 days, the socket address and 10 accounts per hour unless set', () => {
    expect(readServerConfig({}).auth).toEqual({ sessionDays: 30, trustedProxyHops: 0, limits: { signupsPerHour: 10 } });
    expect(readServerConfig({ IMAGEGEN_SESSION_DAYS: '7', IMAGEGEN_TRUST_PROXY: 'true', IMAGEGEN_SIGNUPS_PER_HOUR: '3' }).auth).toEqual({
      sessionDays: 7,
      trustedProxyHops: 1,
      limits: { signupsPerHour: 3 },
    });
    expect(readServerConfig({ IMAGEGEN_TRUST_PROXY: '2' }).auth.trustedProxyHops).toBe(2);
    expect(readServerConfig({ IMAGEGEN_TRUST_PROXY: 'no' }).auth.trustedProxyHops).toBe(0);
    expect(() => readServerConfig({ IMAGEGEN_SESSION_DAYS: '0' })).toThrow(/IMAGEGEN_SESSION_DAYS/);
    expect(() => readServerConfig({ IMAGEGEN_TRUST_PROXY: 'maybe' })).toThrow(/IMAGEGEN_TRUST_PROXY/);
  });

  it('reads PostgreSQL storage with S3 images, for an api process whose Redis carries only the queue and events', () => {
    const config = readServerConfig({
      IMAGEGEN_ROLE: 'api',
      REDIS_URL: 'redis://10.0.0.2:6379',
      IMAGEGEN_STORAGE: 'Postgres',
      DATABASE_URL: 'postgres://app@10.0.0.3:5432/prod',
      IMAGEGEN_POSTGRES_SCHEMA: 'shop',
      ...s3,
      S3_KEY_PREFIX: 'img/',
      S3_FORCE_PATH_STYLE: 'true',
    });
    expect(config.storage).toEqual({ kind: 'postgres', databaseUrl: 'postgres://app@10.0.0.3:5432/prod', schema: 'shop' });
    expect(config.images).toEqual({
      kind: 's3',
      endpoint: 'http://10.0.0.1:9000',
      region: 'us-east-1',
      bucket: 'images',
      accessKeyId: 'id',
      secretAccessKey: 'secret',
      keyPrefix: 'img/',
      forcePathStyle: true,
    });
    expect(config.cluster).toEqual({ role: 'api', redisUrl: 'redis://10.0.0.2:6379', prefix: 'imagegen:' });
    const { S3_ENDPOINT: _, ...aws } = s3;
    expect(readServerConfig({ ...aws, S3_REGION: 'eu-west-1' }).images).toMatchObject({ endpoint: 'https://s3.eu-west-1.amazonaws.com' });
    expect(
      readServerConfig({ IMAGEGEN_ROLE: 'worker', REDIS_URL: 'redis://h', IMAGEGEN_LEASE_MS: '3000', IMAGEGEN_CONCURRENCY: '2' }).cluster,
    ).toEqual({ role: 'worker', redisUrl: 'redis://h', prefix: 'imagegen:', leaseMs: 3000, concurrency: 2 });
    expect(readServerConfig({ IMAGEGEN_ROLE: 'worker', REDIS_URL: 'redis://h', IMAGEGEN_DISPATCHER: 'Redis' }).cluster).toMatchObject({
      dispatcher: 'redis',
    });
    expect(readServerConfig({ IMAGEGEN_STORAGE: 'redis', REDIS_URL: 'redis://h' }).storage).toEqual({
      kind: 'redis',
      redisUrl: 'redis://h',
      prefix: 'imagegen:',
    });
  });

  it('names the variable that is wrong or missing', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ IMAGEGEN_STORAGE: 'mysql' }, /IMAGEGEN_STORAGE must be one of sqlite, postgres, redis/],
      [{ IMAGEGEN_STORAGE: 'postgres' }, /DATABASE_URL is required with IMAGEGEN_STORAGE=postgres/],
      [{ IMAGEGEN_STORAGE: 'postgres', DATABASE_URL: 'mysql://h/db' }, /DATABASE_URL must start with postgres:\/\/ or postgresql:\/\//],
      [{ IMAGEGEN_STORAGE: 'postgres', DATABASE_URL: 'postgres://h/db', IMAGEGEN_POSTGRES_SCHEMA: 'a-b' }, /IMAGEGEN_POSTGRES_SCHEMA/],
      [{ IMAGEGEN_STORAGE: 'redis' }, /REDIS_URL is required with IMAGEGEN_STORAGE=redis/],
      [{ IMAGEGEN_ROLE: 'worker', REDIS_URL: 'redis://h', IMAGEGEN_STORAGE: 'sqlite' }, /IMAGEGEN_STORAGE=sqlite cannot be shared/],
      [{ IMAGEGEN_ROLE: 'api', REDIS_URL: 'redis://h', IMAGEGEN_LEASE_MS: 'soon' }, /IMAGEGEN_LEASE_MS must be a whole number/],
      [
        { IMAGEGEN_ROLE: 'api', REDIS_URL: 'redis://h', IMAGEGEN_CONCURRENCY: '0' },
        /IMAGEGEN_CONCURRENCY must be a whole number of at least 1/,
      ],
      [{ IMAGEGEN_ROLE: 'api', REDIS_URL: 'redis://h', IMAGEGEN_DISPATCHER: 'sqs' }, /IMAGEGEN_DISPATCHER must be one of bullmq, redis/],
      [{ IMAGEGEN_IMAGES: 'gcs' }, /IMAGEGEN_IMAGES must be one of fs, s3/],
      [{ ...s3, S3_BUCKET: '' }, /S3_BUCKET is required with IMAGEGEN_IMAGES=s3/],
      [{ ...s3, S3_REGION: ' ' }, /S3_REGION is required/],
      [{ ...s3, S3_SECRET_ACCESS_KEY: '' }, /S3_SECRET_ACCESS_KEY is required/],
      [{ ...s3, S3_ENDPOINT: 'ftp://h' }, /S3_ENDPOINT must start with http:\/\/ or https:\/\//],
      [{ ...s3, S3_FORCE_PATH_STYLE: 'maybe' }, /S3_FORCE_PATH_STYLE must be true or false/],
    ];
    for (const [env, message] of cases) expect(() => readServerConfig(env), JSON.stringify(env)).toThrow(message);
    // A URL is never echoed: it may hold a password.
    expect(() => readServerConfig({ IMAGEGEN_STORAGE: 'postgres', DATABASE_URL: 'https://me:hunter2@h' })).not.toThrow(/hunter2/);
  });

  it('a process started with a wrong or missing variable exits 1 with the variable named', async () => {
    const runs: Array<[Record<string, string>, string]> = [
      [{ IMAGEGEN_STORAGE: 'postgres' }, 'DATABASE_URL is required'],
      [{ ...s3, S3_BUCKET: '' }, 'S3_BUCKET is required'],
      [{ IMAGEGEN_STORAGE: 'cassandra' }, 'IMAGEGEN_STORAGE must be one of'],
    ];
    const children = runs.map(([env]) => startChild(SERVER, [], { ...clean, ...env }));
    const codes = await Promise.all(children.map((c) => c.exited));
    expect(codes).toEqual([1, 1, 1]);
    children.forEach((child, i) => expect(child.stderr()).toContain(`Cannot start: ${runs[i]![1]}`));
  }, 30_000);
});
