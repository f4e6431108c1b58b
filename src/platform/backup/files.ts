// The attachments part: the files of the task_attachments rows a backup contains, read from
// BUL_DATA_DIR/files/<org id>/<attachment id>. Stream format: per file a u32 header length, the
// header as JSON {org, id, size}, then exactly `size` bytes; a header length of 0 ends it.
// A row whose file is missing on disk is skipped (the file was never written or already removed).
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface FileEntry {
  org: string;
  id: string;
}

export const attachmentPath = (root: string, org: string, id: string): string => path.join(root, org, id);

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** The part's plaintext; `totals` fills in as it is read. */
export function filesSource(
  root: string,
  entries: readonly FileEntry[],
  totals: { count: number; bytes: number },
): Readable {
  async function* generate() {
    for (const e of entries) {
      const file = attachmentPath(root, e.org, e.id);
      const size = await stat(file).then(
        (s) => (s.isFile() ? s.size : null),
        () => null,
      );
      if (size === null) continue;
      const header = Buffer.from(JSON.stringify({ org: e.org, id: e.id, size }));
      yield Buffer.concat([u32(header.length), header]);
      let sent = 0;
      if (size > 0)
        for await (const chunk of createReadStream(file, { end: size - 1, highWaterMark: 256 * 1024 })) {
          sent += (chunk as Buffer).length;
          yield chunk as Buffer;
        }
      if (sent !== size) throw new Error(`attachment file ${file} changed size while it was read`);
      totals.count++;
      totals.bytes += size;
    }
    yield u32(0);
  }
  return Readable.from(generate(), { objectMode: false });
}

/** Reads exact byte counts from a stream of Buffers. */
class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly it: AsyncIterator<Buffer>;
  constructor(source: AsyncIterable<Buffer>) {
    this.it = source[Symbol.asyncIterator]();
  }
  private async fill(): Promise<boolean> {
    const r = await this.it.next();
    if (r.done) return false;
    this.buf = this.buf.length ? Buffer.concat([this.buf, r.value]) : r.value;
    return true;
  }
  async exact(n: number): Promise<Buffer> {
    while (this.buf.length < n)
      if (!(await this.fill())) throw new Error('files part ends early (truncated)');
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
  async drain(): Promise<void> {
    while (!(await this.it.next()).done);
  }
  /** Up to n bytes (at least one). */
  async some(n: number): Promise<Buffer> {
    if (this.buf.length === 0 && !(await this.fill())) throw new Error('files part ends early (truncated)');
    const out = this.buf.subarray(0, Math.min(n, this.buf.length));
    this.buf = this.buf.subarray(out.length);
    return out;
  }
}

/**
 * Writes the files of a files part under `root` (each through a temporary name, then renamed);
 * `want` decides per file (a scoped restore keeps only its organization's).
 */
export async function restoreFiles(
  source: Readable,
  root: string,
  want: (e: FileEntry) => boolean = () => true,
): Promise<{ written: number; bytes: number }> {
  const reader = new ByteReader(source as AsyncIterable<Buffer>);
  let written = 0;
  let bytes = 0;
  for (;;) {
    const len = (await reader.exact(4)).readUInt32BE(0);
    if (len === 0) break;
    const h = JSON.parse((await reader.exact(len)).toString('utf8')) as FileEntry & { size: number };
    if (!/^[0-9a-f-]{36}$/i.test(h.org) || !/^[0-9a-f-]{36}$/i.test(h.id))
      throw new Error('files part names a file outside the attachments layout');
    const keep = want(h);
    const target = attachmentPath(root, h.org, h.id);
    const tmp = `${target}.restoring`;
    if (keep) await mkdir(path.dirname(target), { recursive: true });
    let left = h.size;
    async function* body() {
      while (left > 0) {
        const b = await reader.some(Math.min(left, 1024 * 1024));
        left -= b.length;
        yield b;
      }
    }
    if (keep) {
      try {
        await pipeline(Readable.from(body()), createWriteStream(tmp));
        await rename(tmp, target);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
      written++;
      bytes += h.size;
    } else {
      for await (const _ of body());
    }
  }
  // Drain what follows the end marker so the source (decryption, checksum) completes.
  await reader.drain();
  return { written, bytes };
}
