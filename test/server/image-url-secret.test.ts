import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { imageUrlSecretOf } from '../../examples/server/image-url-secret.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'igk-secret-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("the reference server's image URL secret", () => {
  it('is IMAGEGEN_IMAGE_URL_SECRET when set, and a too short one is refused with the variable named', () => {
    const secret = 'a-secret-from-the-environment-0123456789';
    expect(imageUrlSecretOf(join(dir, 'data'), { IMAGEGEN_IMAGE_URL_SECRET: secret })).toBe(secret);
    expect(() => imageUrlSecretOf(join(dir, 'data'), { IMAGEGEN_IMAGE_URL_SECRET: 'short' })).toThrow(/IMAGEGEN_IMAGE_URL_SECRET/);
  });

  it('unset, is made once at random and kept in the data dir (owner-only), so URLs survive a restart', () => {
    const data = join(dir, 'data');
    const first = imageUrlSecretOf(data, {});
    expect(first).toMatch(/^[\w-]{43}$/);
    expect(imageUrlSecretOf(data, {})).toBe(first);
    expect(statSync(join(data, 'image-url-secret')).mode & 0o777).toBe(0o600);
    expect(imageUrlSecretOf(join(dir, 'other'), {})).not.toBe(first);
  });
});
