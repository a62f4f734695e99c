import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { imageKeyFromUrl, imageUrlOf, isValidImageKey, newImageKey } from '../../../core/image-keys.js';
import type { ImageStore } from '../../../core/ports/image-store.js';
import { assertImageKey } from '../assert-image-key.js';

export interface FilesystemImageStoreOptions {
  /** Directory of the images; created when missing. */
  directory: string;
  /** Prefix of the URLs handed out; the HTTP handler serves `GET {baseUrl}/{key}`. @default '/api/images' */
  baseUrl?: string;
}

interface Sidecar {
  contentType: string;
  owner: string;
  size: number;
  createdAt: number;
}

/** Folder of the sidecars; keys start with a letter or digit, so it never collides with an image. */
const META = '.meta';
const TMP = '.tmp';

/**
 * Images as files: `{directory}/{key}` holds the bytes, `{directory}/.meta/{key}.json` the content
 * type and owner. Every file is written to a temporary name and renamed into place, so a reader
 * never sees half an image and a crash leaves no partial file under a real key. The image is
 * written before its sidecar, and an image without a sidecar reads as missing.
 */
export function createFilesystemImageStore(options: FilesystemImageStoreOptions): ImageStore & { readonly directory: string } {
  const directory = resolve(options.directory);
  const baseUrl = options.baseUrl ?? '/api/images';
  let ready: Promise<unknown> | undefined;
  const ensureDirs = () =>
    (ready ??= Promise.all([mkdir(join(directory, META), { recursive: true }), mkdir(join(directory, TMP), { recursive: true })]).catch(
      (error: unknown) => {
        ready = undefined;
        throw error;
      },
    ));

  const sidecarPath = (key: string) => join(directory, META, `${key}.json`);

  async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
    const temp = join(directory, TMP, randomUUID());
    try {
      await writeFile(temp, data, { flag: 'wx' });
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  return {
    directory,
    async put(bytes, put) {
      const key = put.key ?? newImageKey(put.contentType);
      assertImageKey(key);
      await ensureDirs();
      const sidecar: Sidecar = { contentType: put.contentType, owner: put.owner, size: bytes.byteLength, createdAt: Date.now() };
      await writeAtomically(join(directory, key), bytes);
      await writeAtomically(sidecarPath(key), JSON.stringify(sidecar));
      return { key, url: imageUrlOf(baseUrl, key), contentType: put.contentType, size: bytes.byteLength };
    },
    async get(key) {
      if (!isValidImageKey(key)) return null;
      try {
        const sidecar = JSON.parse(await readFile(sidecarPath(key), 'utf8')) as Sidecar;
        const bytes = await readFile(join(directory, key));
        return {
          bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
          contentType: sidecar.contentType,
          owner: sidecar.owner,
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    async delete(key) {
      if (!isValidImageKey(key)) return;
      // Sidecar first: once it is gone the image reads as missing even if the second step fails.
      await rm(sidecarPath(key), { force: true });
      await rm(join(directory, key), { force: true });
    },
    keyFromUrl(url) {
      return imageKeyFromUrl(baseUrl, url);
    },
  };
}
