#!/usr/bin/env node
// Checks the runtime dependencies for known vulnerabilities: `npm audit --omit=dev
// --audit-level=high --json`, read as JSON. Exit 1 on a high or critical finding (or on an answer
// that cannot be read); when the registry's audit endpoint cannot be reached or refuses the request
// (an HTTP error such as 405, or a network error), one line says there is no result and the exit is
// 0, so CI neither fails for a missing endpoint nor claims the audit passed. Run by .ci/run and as
// `npm run audit`. IMAGEGEN_AUDIT_JSON=<file> reads the answer from that file instead (tests).
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** Network failures npm reports by code: the endpoint was not reached. */
const UNREACHABLE = new Set(['ENOTFOUND', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function npmAudit() {
  return new Promise((resolve) => {
    // npm exits non-zero both for findings and for errors; the JSON on stdout says which.
    execFile('npm', ['audit', '--omit=dev', '--audit-level=high', '--json'], { maxBuffer: 64 * 1024 * 1024 }, (_error, stdout) =>
      resolve(stdout),
    );
  });
}

/** The error code of an answer that carries no result: `error.code`, else `E<HTTP status>`. */
function errorCode(report) {
  if (typeof report.error?.code === 'string' && report.error.code) return report.error.code;
  if (Number.isInteger(report.statusCode)) return `E${report.statusCode}`;
  return 'unknown';
}

/** Reads an audit answer; returns the exit code and the line to print. */
function judge(text) {
  let report;
  try {
    report = JSON.parse(text);
  } catch {
    return { exit: 1, line: 'npm audit: the answer is not JSON; no result' };
  }
  if (report?.error) {
    const code = errorCode(report);
    if (/^E\d{3}$/.test(code) || UNREACHABLE.has(code)) {
      return { exit: 0, line: `npm audit: the registry's audit endpoint is unavailable (${code}); no result` };
    }
    return { exit: 1, line: `npm audit failed (${code}): ${report.error.summary || report.message || 'no detail'}` };
  }
  const counts = report?.metadata?.vulnerabilities;
  if (!counts || typeof counts !== 'object') return { exit: 1, line: 'npm audit: the answer has no vulnerability counts; no result' };
  const high = (counts.high ?? 0) + (counts.critical ?? 0);
  if (high > 0) {
    const names = Object.values(report.vulnerabilities ?? {})
      .filter((v) => v.severity === 'high' || v.severity === 'critical')
      .map((v) => `${v.name} (${v.severity})`);
    return {
      exit: 1,
      line: `npm audit: ${high} high or critical ${high === 1 ? 'vulnerability' : 'vulnerabilities'}: ${names.join(', ')}`,
    };
  }
  return { exit: 0, line: `npm audit: no high or critical vulnerability in the runtime dependencies (${counts.total ?? 0} in all)` };
}

const file = process.env.IMAGEGEN_AUDIT_JSON;
const { exit, line } = judge(file ? await readFile(file, 'utf8') : await npmAudit());
(exit === 0 ? console.log : console.error)(line);
process.exitCode = exit;
