// One part on the wire: plaintext → zstd → authenticated segments → SHA-256 and size → target,
// and back. A reader gets plaintext only after its segment's tag checked; the file's SHA-256 and
// size against the manifest are checked when the stream ends, before it ends.
import { createHash } from 'node:crypto';
import { PassThrough, pipeline, type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { constants, createZstdCompress, createZstdDecompress } from 'node:zlib';
import { BackupError } from './errors.ts';
import type { ManifestPart } from './manifest.ts';
import { decryptSegments, encryptSegments } from './segments.ts';
import { type BackupTarget, partKey } from './targets/target.ts';

export interface PartContext {
  target: BackupTarget;
  key: Buffer;
  backupId: string;
  compressionLevel: number;
  signal?: AbortSignal;
}

/** zstd's default 16 KiB chunks halve decompression speed. No nbWorkers: streaming breaks with them. */
const ZSTD_CHUNK = 256 * 1024;

class Counter extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');
  private readonly hashing: boolean;
  private readonly onBytes: ((bytes: number) => void) | undefined;
  digest = '';

  constructor(hashing: boolean, onBytes?: (bytes: number) => void) {
    super();
    this.hashing = hashing;
    this.onBytes = onBytes;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.hashing) this.hash.update(chunk);
    this.onBytes?.(this.bytes);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.hashing) this.digest = this.hash.digest('hex');
    cb();
  }
}

function isZlibError(e: unknown): boolean {
  const err = e as { code?: unknown; errno?: unknown } | null;
  return typeof err?.code === 'string' && (err.code.startsWith('Z_') || err.code.startsWith('ZSTD_'));
}

/** source (plaintext bytes) → zstd → encryptSegments → SHA-256 + count → target.put */
export async function writePart(
  ctx: PartContext,
  p: { name: string; file: string; kind: ManifestPart['kind']; table?: string },
  source: Readable,
  onBytes?: (plainBytes: number) => void,
): Promise<ManifestPart> {
  const plain = new Counter(false, onBytes);
  const zstd = createZstdCompress({
    params: { [constants.ZSTD_c_compressionLevel]: ctx.compressionLevel },
    chunkSize: ZSTD_CHUNK,
  });
  const stored = new Counter(true);
  const chain = pipelineAsync(
    source,
    plain,
    zstd,
    encryptSegments(ctx.key, { backupId: ctx.backupId, part: p.name }),
    stored,
    ctx.signal ? { signal: ctx.signal } : {},
  );
  const put = ctx.target.put(partKey(ctx.backupId, p.file), stored, ctx.signal ? { signal: ctx.signal } : {});
  // Whichever side fails first stops the other: a failed put must not leave the source (a COPY) hanging.
  put.catch((e: unknown) => stored.destroy(e as Error));
  const [chained, putted] = await Promise.allSettled([chain, put]);
  // The target's error names the real cause (disk_full, target_unavailable) and passes a failing
  // source's error through unchanged; the chain's error is the raw one.
  if (putted.status === 'rejected') throw putted.reason;
  if (chained.status === 'rejected') throw chained.reason;
  const written = putted.value;
  if (written.bytes !== stored.bytes) {
    throw new BackupError(
      'target_unavailable',
      `${ctx.target.description} stored ${written.bytes} bytes of part ${p.name}, ${stored.bytes} were sent`,
      { part: p.name },
    );
  }
  return {
    name: p.name,
    file: p.file,
    kind: p.kind,
    ...(p.table !== undefined ? { table: p.table } : {}),
    storedBytes: stored.bytes,
    plainBytes: plain.bytes,
    sha256: stored.digest,
  };
}

/** The plaintext of a part; every error is a BackupError (or the caller's abort). */
export async function readPart(
  ctx: Omit<PartContext, 'compressionLevel'>,
  part: ManifestPart,
): Promise<Readable> {
  const source = await ctx.target.get(partKey(ctx.backupId, part.file));
  const stored = new Counter(true);
  const plain = new Counter(false);
  // Checks after the last segment was authenticated and decompressed, before the output ends.
  const end = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      cb(null, chunk);
    },
    flush(cb) {
      if (stored.bytes !== part.storedBytes) {
        cb(
          new BackupError(
            stored.bytes < part.storedBytes ? 'part_truncated' : 'part_corrupt',
            `part ${part.name}: the stored file has ${stored.bytes} bytes, the manifest says ${part.storedBytes}`,
            { part: part.name, offset: Math.min(stored.bytes, part.storedBytes) },
          ),
        );
      } else if (stored.digest !== part.sha256) {
        cb(
          new BackupError(
            'part_corrupt',
            `part ${part.name}: the SHA-256 of the stored file does not match the manifest`,
            {
              part: part.name,
            },
          ),
        );
      } else if (plain.bytes !== part.plainBytes) {
        cb(
          new BackupError(
            'part_corrupt',
            `part ${part.name}: ${plain.bytes} bytes decompressed, the manifest says ${part.plainBytes}`,
            { part: part.name },
          ),
        );
      } else cb();
    },
  });
  // `out` is outside the pipeline so that the error it reports can be mapped to a BackupError.
  const out = new PassThrough({ highWaterMark: 256 * 1024 });
  pipeline(
    source,
    stored,
    decryptSegments(ctx.key, { backupId: ctx.backupId, part: part.name }),
    createZstdDecompress({ chunkSize: ZSTD_CHUNK }),
    plain,
    end,
    (err) => {
      if (err) out.destroy(mapReadError(err, ctx, part));
    },
  );
  end.pipe(out);
  const onAbort = () => out.destroy(ctx.signal?.reason);
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  out.on('close', () => {
    ctx.signal?.removeEventListener('abort', onAbort);
    if (!out.readableEnded) end.destroy();
  });
  return out;
}

function mapReadError(err: Error, ctx: Omit<PartContext, 'compressionLevel'>, part: ManifestPart): Error {
  if (err instanceof BackupError || err.name === 'AbortError' || ctx.signal?.aborted) return err;
  if (isZlibError(err)) {
    return new BackupError('part_corrupt', `part ${part.name}: the zstd stream is invalid (${err.message})`, {
      part: part.name,
    });
  }
  if ((err as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE') return err;
  return new BackupError(
    'target_unavailable',
    `${ctx.target.description} failed while reading part ${part.name}: ${err.message}`,
    { part: part.name },
    { cause: err },
  );
}

/** Reads a part to the end and throws what readPart would; returns the plaintext byte count. */
export async function verifyPart(
  ctx: Omit<PartContext, 'compressionLevel'>,
  part: ManifestPart,
): Promise<number> {
  const stream = await readPart(ctx, part);
  let bytes = 0;
  for await (const chunk of stream) bytes += (chunk as Buffer).length;
  return bytes;
}
