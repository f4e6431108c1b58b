// A pass-through parser of PostgreSQL's COPY BINARY format: the bytes flow on unchanged while it
// counts the tuples and sums a 64-bit hash of each tuple's bytes (mod 2^64). The sum does not
// depend on row order, so the checksum of a table read from a restored database (checksums.ts,
// same parser) equals the manifest's whatever order the rows come back in.
//
// Format: 11-byte signature, int32 flags, int32 header extension length + extension; then per
// tuple an int16 field count and per field an int32 length (-1 = NULL) and its bytes; the trailer
// is a field count of -1.
import { Transform, type TransformCallback } from 'node:stream';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER = SIGNATURE.length + 8;
const TWO32 = 4294967296;

/** Two independent 32-bit lanes over the tuple's bytes, each finished with murmur3's fmix32. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export interface RowsSummary {
  rows: number;
  /** 16 hex digits: the sum mod 2^64 of the tuples' hashes. */
  checksum: string;
  bytes: number;
}

export class RowHasher extends Transform {
  private nRows = 0;
  private nBytes = 0;
  private lo = 0;
  private hi = 0;
  private headerDone = false;
  private ended = false;
  private parts: Buffer[] = [];
  private partsLen = 0;
  /** Bytes (from the start of the pending data) needed before parsing can go on. */
  private need = HEADER;

  constructor() {
    super({ highWaterMark: 4 * 65536 });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.nBytes += chunk.length;
    this.parts.push(chunk);
    this.partsLen += chunk.length;
    if (this.partsLen >= this.need) {
      try {
        this.consume();
      } catch (err) {
        callback(err as Error);
        return;
      }
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (!this.ended) callback(new Error('COPY BINARY data ends before its trailer (truncated)'));
    else callback();
  }

  get summary(): RowsSummary {
    return { rows: this.nRows, checksum: checksumHex(this.hi, this.lo), bytes: this.nBytes };
  }

  private consume(): void {
    const buf = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partsLen);
    const end = buf.length;
    let pos = 0;
    this.need = 0;
    if (!this.headerDone) {
      if (end < HEADER) {
        this.keep(buf, 0, HEADER);
        return;
      }
      if (!buf.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new Error('not COPY BINARY data');
      const ext = buf.readUInt32BE(SIGNATURE.length + 4);
      if (end < HEADER + ext) {
        this.keep(buf, 0, HEADER + ext);
        return;
      }
      pos = HEADER + ext;
      this.headerDone = true;
    }
    for (;;) {
      if (this.ended) {
        if (pos < end) throw new Error('COPY BINARY data goes on after its trailer');
        break;
      }
      if (end - pos < 2) {
        this.keep(buf, pos, 2);
        return;
      }
      const fields = buf.readInt16BE(pos);
      if (fields === -1) {
        this.ended = true;
        pos += 2;
        continue;
      }
      let p = pos + 2;
      let missing = 0;
      for (let f = 0; f < fields; f++) {
        if (end - p < 4) {
          missing = p + 4;
          break;
        }
        const len = buf.readInt32BE(p);
        p += 4;
        if (len > 0) {
          if (end - p < len) {
            missing = p + len;
            break;
          }
          p += len;
        }
      }
      if (missing) {
        this.keep(buf, pos, missing - pos);
        return;
      }
      this.add(buf, pos, p);
      pos = p;
    }
    this.keep(buf, pos, 0);
  }

  /** Keeps the unparsed tail from `from`, and waits for `need` bytes of it. */
  private keep(buf: Buffer, from: number, need: number): void {
    const rest = buf.subarray(from);
    this.parts = rest.length ? [rest] : [];
    this.partsLen = rest.length;
    this.need = need;
  }

  private add(buf: Buffer, start: number, end: number): void {
    let a = 0x811c9dc5;
    let b = 0x9747b28c ^ (end - start);
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(((b << 5) | (b >>> 27)) ^ c, 0x9e3779b1);
    }
    const lo = this.lo + fmix32(a ^ Math.imul(b, 0x27d4eb2f));
    const carry = lo >= TWO32 ? 1 : 0;
    this.lo = lo - carry * TWO32;
    this.hi = (this.hi + fmix32(b ^ a) + carry) % TWO32;
    this.nRows++;
  }
}

function checksumHex(hi: number, lo: number): string {
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}
