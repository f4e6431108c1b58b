// `COPY (SELECT ...) TO STDOUT` through the pg client, as a stream of Buffers: the rows never
// become JavaScript objects, so a million-row export costs the heap almost nothing.
//
//   const body = copyOut(tx, `COPY (${inlineParams(tx, text, values)}) TO STDOUT WITH (FORMAT csv)`,
//     { recordEnd: '\r\n' });
//   for await (const chunk of body) ...   // Buffers of whole records, ~64 KiB each
//
// Like streamRows it needs a client inside a transaction (`tx`), read to the end (or destroyed)
// before the transaction goes on. COPY takes no bind parameters, hence inlineParams.
// Backpressure: when the stream's buffer is full the socket to PostgreSQL is paused, so the
// server waits instead of the data piling up here.
import { Readable } from 'node:stream';
import type pg from 'pg';

const CHUNK_BYTES = 64 * 1024;

interface PgConnection {
  query(text: string): void;
  stream: { pause(): void; resume(): void };
}

export interface CopyOutOptions {
  /**
   * PostgreSQL ends each record with LF; with this, each record ends with these bytes instead
   * (e.g. CRLF for RFC 4180 CSV). PostgreSQL sends one record per message, so only the record's
   * last byte is replaced, never a line break inside a quoted CSV field.
   */
  recordEnd?: string;
}

/** The pg "submittable" protocol (client.query(submittable)) for a COPY ... TO STDOUT. */
class CopyOutStream extends Readable {
  private readonly text: string;
  private readonly recordEnd: Buffer | null;
  private connection: PgConnection | null = null;
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  private error: Error | null = null;
  private paused = false;
  private count = 0;

  constructor(text: string, opts: CopyOutOptions) {
    super({ highWaterMark: 4 * CHUNK_BYTES });
    this.text = text;
    this.recordEnd = opts.recordEnd === undefined ? null : Buffer.from(opts.recordEnd);
  }

  submit(connection: PgConnection): void {
    this.connection = connection;
    connection.query(this.text);
  }

  /** Records received so far (all of them once the stream has ended). */
  get records(): number {
    return this.count;
  }

  handleCopyData(msg: { chunk: Buffer }): void {
    this.count++;
    // msg.chunk is a view of pg's receive buffer, which is reused: copy before returning.
    const record = this.recordEnd ? msg.chunk.subarray(0, msg.chunk.length - 1) : msg.chunk;
    const size = record.length + (this.recordEnd?.length ?? 0);
    if (this.used + size > this.chunk.length) this.flush(Math.max(CHUNK_BYTES, size));
    this.used += record.copy(this.chunk, this.used);
    if (this.recordEnd) this.used += this.recordEnd.copy(this.chunk, this.used);
  }

  /** Hands the filled part of the chunk on, and starts a new one of at least `next` bytes. */
  private flush(next = CHUNK_BYTES): void {
    // Once destroyed (the reader left) the rest of the COPY is only drained and dropped.
    if (this.used > 0 && !this.destroyed && !this.push(this.chunk.subarray(0, this.used)) && !this.paused) {
      this.paused = true;
      this.connection?.stream.pause();
    }
    this.chunk = Buffer.allocUnsafe(next);
    this.used = 0;
  }

  override _read(): void {
    if (this.paused) {
      this.paused = false;
      this.connection?.stream.resume();
    }
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    // Leaving early: let the rest of the COPY flow (and be dropped) so the connection stays usable.
    if (this.paused) {
      this.paused = false;
      this.connection?.stream.resume();
    }
    callback(err);
  }

  handleCommandComplete(): void {
    this.flush();
  }

  handleError(err: Error): void {
    this.error = err;
  }

  handleReadyForQuery(): void {
    if (this.destroyed) return;
    if (this.error) this.destroy(this.error);
    else this.push(null);
  }

  // Not part of a COPY's answer; pg calls them only for other kinds of statement.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(): void {
    this.error = new Error('copyOut is for COPY ... TO STDOUT only');
  }
}

/** Runs a `COPY ... TO STDOUT` on `tx` and streams its output (see the top of the file). */
export function copyOut(
  tx: pg.ClientBase,
  text: string,
  opts: CopyOutOptions = {},
): Readable & { readonly records: number } {
  const stream = new CopyOutStream(text, opts);
  (tx as unknown as { query(s: CopyOutStream): void }).query(stream);
  return stream;
}

/**
 * The statement with its `$n` placeholders replaced by the values as SQL literals (for COPY, which
 * takes no bind parameters). A quoted literal has type unknown until its context gives it one,
 * exactly like a parameter (which pg sends as text too), so the statement means the same. The
 * statement must not contain `$n` elsewhere (in its own string literals).
 */
export function inlineParams(tx: pg.ClientBase, text: string, values: readonly unknown[]): string {
  return text.replace(/\$(\d+)\b/g, (_m, n: string) => {
    const i = Number(n) - 1;
    if (i < 0 || i >= values.length) throw new Error(`inlineParams: no value for $${n}`);
    const v = values[i];
    if (v === null || v === undefined) return 'NULL';
    if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)))
      return tx.escapeLiteral(String(v));
    throw new Error(`inlineParams: cannot inline a ${typeof v} ($${n})`);
  });
}
