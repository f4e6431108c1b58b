// A directory target: each object written to "<file>.partial", fsynced, then renamed, so a reader
// never sees half a file; a full disk (ENOSPC / EDQUOT) is disk_full and leaves no partial file.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BackupError, isDiskFull } from '../errors.ts';
import { type BackupTarget, checkBackupId, checkKey, missing } from './target.ts';

export interface DirectoryTargetOptions {
  dir: string;
}

const PARTIAL = '.partial';

function errno(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class DirectoryTarget implements BackupTarget {
  readonly kind = 'directory' as const;
  readonly description: string;
  readonly dir: string;

  constructor(o: DirectoryTargetOptions) {
    this.dir = resolve(o.dir);
    this.description = `directory ${this.dir}`;
  }

  private path(key: string): string {
    return join(this.dir, ...checkKey(key));
  }

  private failure(e: unknown, action: string, key?: string): Error {
    if (e instanceof BackupError) return e;
    if ((e as Error | null)?.name === 'AbortError') return e as Error;
    if (isDiskFull(e)) {
      return new BackupError(
        'disk_full',
        `the disk of ${this.description} is full (${errno(e)}) while ${action}`,
        key === undefined ? { cause: errno(e) } : { part: key, cause: errno(e) },
        { cause: e },
      );
    }
    return new BackupError(
      'target_unavailable',
      `${this.description} failed while ${action}: ${(e as Error).message}`,
      key === undefined ? { cause: errno(e) } : { part: key, cause: errno(e) },
      { cause: e },
    );
  }

  async put(
    key: string,
    body: Readable,
    opts?: { contentLength?: number; signal?: AbortSignal },
  ): Promise<{ bytes: number }> {
    const path = this.path(key);
    const partial = path + PARTIAL;
    let bytes = 0;
    // Which side failed first: the body's own error (a failing source) passes through unchanged,
    // the file's error (ENOSPC, EIO…) becomes disk_full / target_unavailable.
    let bodyFailedFirst = false;
    let failed = false;
    body.once('error', () => {
      if (!failed) bodyFailedFirst = true;
      failed = true;
    });
    try {
      await mkdir(dirname(path), { recursive: true });
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          bytes += chunk.length;
          cb(null, chunk);
        },
      });
      // flush: fsync before close, so the rename below never publishes unwritten data.
      const out = createWriteStream(partial, { flush: true, highWaterMark: 1024 * 1024 });
      out.once('error', () => {
        failed = true;
      });
      await pipeline(body, counter, out, opts?.signal ? { signal: opts.signal } : {});
      await rename(partial, path);
      await fsyncDir(dirname(path));
      return { bytes };
    } catch (e) {
      body.destroy();
      await rm(partial, { force: true }).catch(() => {});
      if (bodyFailedFirst) throw e;
      throw this.failure(e, `writing ${key}`, key);
    }
  }

  async get(key: string, opts?: { start?: number }): Promise<Readable> {
    const path = this.path(key);
    try {
      const fh = await open(path, 'r');
      return fh.createReadStream({ start: opts?.start ?? 0, highWaterMark: 256 * 1024 });
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') throw missing(key, this.description);
      throw this.failure(e, `reading ${key}`, key);
    }
  }

  async head(key: string): Promise<{ bytes: number } | null> {
    try {
      const s = await stat(this.path(key));
      return s.isFile() ? { bytes: s.size } : null;
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return null;
      throw this.failure(e, `reading ${key}`, key);
    }
  }

  async list(prefix = ''): Promise<string[]> {
    try {
      const entries = await readdir(this.dir, { withFileTypes: true });
      return entries
        .filter((d) => d.isDirectory() && !d.name.startsWith('.') && d.name.startsWith(prefix))
        .map((d) => d.name)
        .sort();
    } catch (e) {
      if (errno(e) === 'ENOENT') return [];
      throw this.failure(e, 'listing backups');
    }
  }

  async removeBackup(backupId: string): Promise<void> {
    checkBackupId(backupId);
    try {
      await rm(join(this.dir, backupId), { recursive: true, force: true });
    } catch (e) {
      throw this.failure(e, `removing backup ${backupId}`);
    }
  }

  async probe(): Promise<void> {
    const probe = join(this.dir, `.probe-${randomBytes(6).toString('hex')}`);
    try {
      await mkdir(this.dir, { recursive: true });
      await writeFile(probe, 'bul backup probe\n', { flush: true });
    } catch (e) {
      await rm(probe, { force: true }).catch(() => {});
      throw new BackupError(
        'target_unavailable',
        `${this.description} is not writable: ${(e as Error).message}`,
        { cause: errno(e) },
        { cause: e },
      );
    }
    await rm(probe, { force: true });
  }
}
