// Authenticated segments: one AES-256-GCM stream per file would release unauthenticated plaintext
// before final(), so a part is cut into 1 MiB plaintext segments, each with its own nonce and tag.
// File: "BULSEG1\n" then segments [u32 ciphertext length][12-byte nonce][ciphertext][16-byte tag].
// Key: HKDF(backup key, "part:" + name). AAD: backupId, part, index, final flag; so altered bytes,
// reordered segments, a part moved from another backup and a truncated part (no final segment)
// all fail. A segment's plaintext is pushed only after its tag checked.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { BackupError } from './errors.ts';
import { subkey } from './keys.ts';

export const SEGMENT_SIZE = 1024 * 1024;
export const SEGMENT_HEADER = Buffer.from('BULSEG1\n', 'latin1');
const NONCE = 12;
const TAG = 16;
/** Bytes of framing around each segment's ciphertext. */
export const SEGMENT_OVERHEAD = 4 + NONCE + TAG;

export interface SegmentAad {
  backupId: string;
  part: string;
}

function aadOf(aad: SegmentAad, index: number, final: boolean): Buffer {
  // JSON keeps the fields unambiguous whatever characters a part name holds.
  return Buffer.from(JSON.stringify(['bul-segment', aad.backupId, aad.part, index, final]));
}

function partKey(key: Buffer, part: string): Buffer {
  if (key.length !== 32) throw new RangeError(`a backup key has 32 bytes, not ${key.length}`);
  return subkey(key, `part:${part}`);
}

/** Collects chunks without copying until a caller needs a contiguous range. */
class ChunkQueue {
  private chunks: Buffer[] = [];
  length = 0;

  push(b: Buffer): void {
    if (b.length === 0) return;
    this.chunks.push(b);
    this.length += b.length;
  }

  /** Removes and returns the first n bytes (n ≤ length). */
  take(n: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.length -= n;
      return out;
    }
    const all = Buffer.concat(this.chunks, this.length);
    this.chunks = all.length > n ? [all.subarray(n)] : [];
    this.length -= n;
    return all.subarray(0, n);
  }

  /** Reads the first n bytes without removing them (n ≤ length). */
  peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= n) return first.subarray(0, n);
    const all = Buffer.concat(this.chunks, this.length);
    this.chunks = [all];
    return all.subarray(0, n);
  }
}

class EncryptSegments extends Transform {
  private readonly key: Buffer;
  private readonly aad: SegmentAad;
  private readonly queue = new ChunkQueue();
  private index = 0;
  private headerSent = false;

  constructor(key: Buffer, aad: SegmentAad) {
    super();
    this.key = partKey(key, aad.part);
    this.aad = aad;
  }

  private seal(plain: Buffer, final: boolean): void {
    if (!this.headerSent) {
      this.push(SEGMENT_HEADER);
      this.headerSent = true;
    }
    const nonce = randomBytes(NONCE);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(aadOf(this.aad, this.index, final));
    const body = cipher.update(plain);
    cipher.final(); // GCM returns nothing here: the ciphertext is as long as the plaintext
    const head = Buffer.allocUnsafe(4 + NONCE);
    head.writeUInt32BE(body.length, 0);
    nonce.copy(head, 4);
    // Three pushes rather than one concatenation: a 1 MiB copy per segment saved.
    this.push(head);
    this.push(body);
    this.push(cipher.getAuthTag());
    this.index++;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.queue.push(chunk);
    // Keep at least one byte back: only flush knows which segment is the final one.
    while (this.queue.length > SEGMENT_SIZE) this.seal(this.queue.take(SEGMENT_SIZE), false);
    cb();
  }

  override _flush(cb: TransformCallback): void {
    // An empty part still gets one (empty) final segment, so truncation to the header is detected.
    this.seal(this.queue.take(this.queue.length), true);
    cb();
  }
}

class DecryptSegments extends Transform {
  private readonly key: Buffer;
  private readonly aad: SegmentAad;
  private readonly queue = new ChunkQueue();
  private index = 0;
  /** Byte offset in the stored file of the next unread byte (of the next segment once the header is read). */
  private offset = 0;
  private headerRead = false;
  private finalSeen = false;

  constructor(key: Buffer, aad: SegmentAad) {
    super();
    this.key = partKey(key, aad.part);
    this.aad = aad;
  }

  private fail(code: 'part_corrupt' | 'part_truncated', what: string): BackupError {
    return new BackupError(code, `part ${this.aad.part}: ${what}`, {
      part: this.aad.part,
      offset: this.offset,
      segment: this.index,
    });
  }

  private open(segment: Buffer, final: boolean): Buffer | null {
    const length = segment.readUInt32BE(0);
    const nonce = segment.subarray(4, 4 + NONCE);
    const body = segment.subarray(4 + NONCE, 4 + NONCE + length);
    const tag = segment.subarray(4 + NONCE + length);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, nonce);
      decipher.setAAD(aadOf(this.aad, this.index, final));
      decipher.setAuthTag(tag);
      const plain = decipher.update(body);
      decipher.final(); // throws unless the tag matches; GCM returns no further bytes
      return plain;
    } catch {
      return null;
    }
  }

  /** Decrypts the next whole segment; `last` = nothing follows it in the file. */
  private segment(size: number, last: boolean): void {
    const segment = this.queue.take(size);
    const plain = this.open(segment, last);
    if (plain === null) {
      if (this.open(segment, !last) !== null) {
        throw last
          ? this.fail(
              'part_truncated',
              `segment ${this.index} at byte offset ${this.offset} is not the final one: the part is truncated`,
            )
          : this.fail(
              'part_corrupt',
              `unexpected data after the final segment ${this.index} at byte offset ${this.offset + size}`,
            );
      }
      throw this.fail(
        'part_corrupt',
        `segment ${this.index} at byte offset ${this.offset} failed authentication (altered, corrupt, reordered or from another backup)`,
      );
    }
    this.push(plain);
    this.offset += size;
    this.index++;
    if (last) this.finalSeen = true;
  }

  /** Handles every segment known not to be the last; returns without consuming an incomplete one. */
  private drain(atEnd: boolean): void {
    if (!this.headerRead) {
      if (this.queue.length < SEGMENT_HEADER.length) {
        if (atEnd)
          throw this.fail('part_truncated', `the file ends inside the header (${this.queue.length} bytes)`);
        return;
      }
      if (!this.queue.take(SEGMENT_HEADER.length).equals(SEGMENT_HEADER)) {
        throw this.fail('part_corrupt', 'the file does not start with the BUL segment header');
      }
      this.headerRead = true;
      this.offset = SEGMENT_HEADER.length;
    }
    while (this.queue.length >= 4) {
      const length = this.queue.peek(4).readUInt32BE(0);
      if (length > SEGMENT_SIZE) {
        throw this.fail(
          'part_corrupt',
          `segment ${this.index} at byte offset ${this.offset} declares ${length} bytes, more than a segment holds`,
        );
      }
      const size = SEGMENT_OVERHEAD + length;
      if (this.queue.length < size) break;
      // A segment with nothing after it yet may be the final one: wait for more input or the end.
      if (this.queue.length === size && !atEnd) return;
      this.segment(size, this.queue.length === size);
      if (this.finalSeen) return;
    }
    if (atEnd) {
      if (this.queue.length > 0) {
        throw this.fail(
          'part_truncated',
          `segment ${this.index} at byte offset ${this.offset} is cut short (${this.queue.length} bytes present)`,
        );
      }
      if (!this.finalSeen) {
        throw this.fail(
          'part_truncated',
          `the file ends at byte offset ${this.offset} without its final segment`,
        );
      }
    }
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.finalSeen) {
      if (chunk.length > 0) {
        cb(
          this.fail('part_corrupt', `unexpected data after the final segment at byte offset ${this.offset}`),
        );
      } else cb();
      return;
    }
    this.queue.push(chunk);
    try {
      this.drain(false);
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      if (!this.finalSeen) this.drain(true);
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }
}

export function encryptSegments(key: Buffer, aad: SegmentAad): Transform {
  return new EncryptSegments(key, aad);
}

/** Errors: BackupError part_corrupt / part_truncated naming the part and the segment's byte offset. */
export function decryptSegments(key: Buffer, aad: SegmentAad): Transform {
  return new DecryptSegments(key, aad);
}
