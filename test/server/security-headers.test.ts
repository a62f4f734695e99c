import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFilesystemImageStore } from '../../src/adapters/image-stores/filesystem/index.js';
import { createS3ImageStore } from '../../src/adapters/image-stores/s3/index.js';
import { imageOriginsOf, pageSecurityHeaders } from '../../examples/server/security-headers.js';

const s3 = (extra: { publicBaseUrl?: string } = {}) =>
  createS3ImageStore({
    endpoint: 'https://s3.eu-west-1.amazonaws.com',
    region: 'eu-west-1',
    bucket: 'studio-images',
    accessKeyId: 'AKIDEXAMPLE',
    secretAccessKey: 'secret',
    fetch: () => Promise.reject(new Error('no request may be sent')),
    ...extra,
  });

afterEach(() => vi.unstubAllEnvs());

describe("the reference page's security headers", () => {
  it('allow images only from the page, picked files (blob:) and the image store’s own origin', async () => {
    expect(await imageOriginsOf(createFilesystemImageStore({ directory: '/tmp/igk-unused' }))).toEqual([]);
    expect(await imageOriginsOf(s3())).toEqual(['https://studio-images.s3.eu-west-1.amazonaws.com']);
    expect(await imageOriginsOf(s3({ publicBaseUrl: 'https://cdn.example.com/img' }))).toEqual(['https://cdn.example.com']);

    const csp = pageSecurityHeaders({ imageOrigins: ['https://cdn.example.com/img/', 'https://cdn.example.com'] })[
      'Content-Security-Policy'
    ];
    expect(csp).toContain("img-src 'self' blob: https://cdn.example.com;");
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toMatch(/unsafe-(inline|eval)/);
    expect(() => pageSecurityHeaders({ imageOrigins: ['javascript:alert(1)'] })).toThrow(/not http/);
  });

  it('send HSTS only when the host says it serves HTTPS (IMAGEGEN_HSTS=1 or hsts: true)', () => {
    expect(pageSecurityHeaders()['Strict-Transport-Security']).toBeUndefined();
    vi.stubEnv('IMAGEGEN_HSTS', '1');
    expect(pageSecurityHeaders()['Strict-Transport-Security']).toBe('max-age=31536000; includeSubDomains');
    expect(pageSecurityHeaders({ hsts: false })['Strict-Transport-Security']).toBeUndefined();
    vi.stubEnv('IMAGEGEN_HSTS', '');
    expect(pageSecurityHeaders({ hsts: true })['Strict-Transport-Security']).toBe('max-age=31536000; includeSubDomains');
  });
});
