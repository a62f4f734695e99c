import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'igk-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs scripts/audit.mjs on a canned `npm audit --json` answer. */
function audit(answer: unknown): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, typeof answer === 'string' ? answer : JSON.stringify(answer));
  return new Promise((resolve) => {
    execFile(process.execPath, ['scripts/audit.mjs'], { env: { ...process.env, IMAGEGEN_AUDIT_JSON: file } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

const counts = (c: Partial<Record<'info' | 'low' | 'moderate' | 'high' | 'critical', number>>) => {
  const all = { info: 0, low: 0, moderate: 0, high: 0, critical: 0, ...c };
  return { ...all, total: Object.values(all).reduce((a, b) => a + b, 0) };
};

describe('scripts/audit.mjs', () => {
  it('fails on a high finding, naming the package', async () => {
    const r = await audit({
      auditReportVersion: 2,
      vulnerabilities: { 'left-pad': { name: 'left-pad', severity: 'high', via: [] }, tiny: { name: 'tiny', severity: 'low', via: [] } },
      metadata: { vulnerabilities: counts({ high: 1, low: 1 }) },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('1 high or critical vulnerability: left-pad (high)');
  });

  it('fails on a critical finding', async () => {
    const r = await audit({ vulnerabilities: {}, metadata: { vulnerabilities: counts({ critical: 2 }) } });
    expect(r.code).toBe(1);
  });

  it('passes when only low and moderate findings are reported', async () => {
    const r = await audit({ vulnerabilities: {}, metadata: { vulnerabilities: counts({ low: 3, moderate: 1 }) } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no high or critical vulnerability');
  });

  it('reports an endpoint that answers 405 as unavailable, with no result, and exits 0', async () => {
    // The answer npm gives when the registry refuses the bulk advisory POST.
    const r = await audit({
      message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
      method: 'POST',
      statusCode: 405,
      body: '',
      error: { summary: '', detail: '' },
    });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("npm audit: the registry's audit endpoint is unavailable (E405); no result");
  });

  it('reports a network error by its code', async () => {
    const r = await audit({ error: { code: 'ENOTFOUND', summary: 'getaddrinfo ENOTFOUND registry.npmjs.org', detail: '' } });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("npm audit: the registry's audit endpoint is unavailable (ENOTFOUND); no result");
  });

  it('fails on another error (no lockfile) and on an answer that is not JSON', async () => {
    expect((await audit({ error: { code: 'ENOLOCK', summary: 'This command requires an existing lockfile.' } })).code).toBe(1);
    expect((await audit('npm ERR! something')).code).toBe(1);
  });
});
