import { describe, expect, it } from 'vitest';
import { verifySigV4 } from './sigv4-verifier.js';

// The worked examples of the AWS S3 documentation ("Signature Calculations for the Authorization
// Header" and "Authenticating Requests: Using Query Parameters"), so the checker is right before
// it judges the store.
const aws = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', region: 'us-east-1' };
const may24 = Date.parse('2013-05-24T00:00:10Z');
const presignedPath =
  '/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
const host = { host: 'examplebucket.s3.amazonaws.com' };

describe('the SigV4 checker of the S3 test server', () => {
  it("accepts AWS's documented presigned URL, and refuses it tampered, expired or for another key", () => {
    expect(verifySigV4({ method: 'GET', rawUrl: presignedPath, headers: host }, aws, may24)).toEqual({ ok: true });
    expect(verifySigV4({ method: 'GET', rawUrl: presignedPath.replace(/d404$/, 'd405'), headers: host }, aws, may24)).toEqual({
      ok: false,
      reason: 'signature',
    });
    expect(verifySigV4({ method: 'GET', rawUrl: presignedPath.replace('/test.txt', '/test2.txt'), headers: host }, aws, may24).ok).toBe(
      false,
    );
    expect(verifySigV4({ method: 'GET', rawUrl: presignedPath, headers: host }, aws, may24 + 86_400_000)).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(verifySigV4({ method: 'GET', rawUrl: presignedPath, headers: host }, { ...aws, secretAccessKey: 'other' }, may24).ok).toBe(
      false,
    );
  });

  it("accepts AWS's documented header-signed GET and refuses it with a changed header or no signature", () => {
    const headers = {
      ...host,
      range: 'bytes=0-9',
      'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'x-amz-date': '20130524T000000Z',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    };
    expect(verifySigV4({ method: 'GET', rawUrl: '/test.txt', headers }, aws, may24)).toEqual({ ok: true });
    expect(verifySigV4({ method: 'GET', rawUrl: '/test.txt', headers: { ...headers, range: 'bytes=0-10' } }, aws, may24).ok).toBe(false);
    expect(verifySigV4({ method: 'GET', rawUrl: '/test.txt', headers: host }, aws, may24)).toEqual({ ok: false, reason: 'anonymous' });
  });
});
