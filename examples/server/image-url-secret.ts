import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const VARIABLE = 'IMAGEGEN_IMAGE_URL_SECRET';

/**
 * The handler's `imageUrlSecret`: `IMAGEGEN_IMAGE_URL_SECRET` when set (at least 32 characters;
 * every API process of a deployment must have the same), else a random one kept in
 * `{dataDir}/image-url-secret`, made on first start, so `npm start` needs nothing set and image
 * URLs survive a restart. Throws naming the variable when it is too short.
 */
export function imageUrlSecretOf(dataDir: string, env: Record<string, string | undefined> = process.env): string {
  const fromEnv = env[VARIABLE]?.trim();
  if (fromEnv) {
    if (fromEnv.length < 32) throw new RangeError(`${VARIABLE} must be at least 32 characters (e.g. openssl rand -base64 32)`);
    return fromEnv;
  }
  const path = join(dataDir, 'image-url-secret');
  mkdirSync(dataDir, { recursive: true });
  // Written whole, then linked into place: of processes starting at once on one data dir, one
  // link wins and every process reads that secret, never a half-written file.
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(temp, randomBytes(32).toString('base64url'), { mode: 0o600 });
  try {
    linkSync(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(temp, { force: true });
  }
  return readFileSync(path, 'utf8').trim();
}
