// Where cached values live: this process's memory (bounded, least recently used first out) or
// Redis (shared by every process). A store keeps entries and the versions of tags: an entry
// records its tags' versions as they were when its load started, and is valid only while they are
// unchanged. Invalidating a tag gives it a new version (never a counter that could come back to an
// old value: a version whose record was evicted reads as missing, and an entry is valid only when
// every version it recorded is still there, so evictions cost misses, never stale answers).
import { randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { LRUCache } from 'lru-cache';

/** One stored value with its freshness and its tags' versions at load time. */
export interface StoredEntry {
  /** The value's JSON, deflated when `compressed`. */
  payload: Buffer;
  compressed: boolean;
  /** Epoch ms until which the value is fresh; after it, stale until `staleUntil`, then gone. */
  freshUntil: number;
  staleUntil: number;
  /** Tag id → version when the load started. */
  versions: Record<string, string>;
}

/** What a read gives: the entry (if any) and its tags' current versions (missing: null). */
export interface StoreRead {
  entry: StoredEntry | null;
  versions: (string | null)[];
}

export interface CacheStore {
  readonly kind: 'memory' | 'redis';
  read(key: string, tags: readonly string[]): Promise<StoreRead>;
  /** The tags' current versions, created when missing (called before a load). */
  prepareTags(tags: readonly string[]): Promise<string[]>;
  write(key: string, entry: StoredEntry): Promise<void>;
  /** New versions for the tags: every entry that recorded the old ones is invalid. */
  bumpTags(tags: readonly string[]): Promise<void>;
  delete(key: string): Promise<void>;
  /** A lock on loading `key` for `ms` (across processes on Redis; always granted in memory). */
  lock(key: string, ms: number): Promise<string | null>;
  unlock(key: string, token: string): Promise<void>;
  /** Extends a held lock to `ms` from now; false when it is no longer ours. */
  extend(key: string, token: string, ms: number): Promise<boolean>;
  /** Whether someone holds the lock on `key`. */
  locked(key: string): Promise<boolean>;
  size(): Promise<{ entries: number; bytes: number }>;
  /** Drops every entry (memory; a lost invalidation channel). */
  clear(): Promise<void>;
  close(): Promise<void>;
}

/** Values over this many bytes of JSON are compressed. */
export const COMPRESS_ABOVE = 1024;

/**
 * Deflate (raw, level 6) rather than zstd: on JSON of a few KB both shrink it about 8×, zstd
 * compresses a little faster but deflate inflates faster (about 20 µs against 30 µs for 5 KB),
 * and a value is read many more times than written (docs/cache.md has the figures).
 */
export function encodeValue(value: unknown): { payload: Buffer; compressed: boolean } {
  const json = JSON.stringify(value);
  if (json === undefined) throw new Error('cannot cache undefined');
  const raw = Buffer.from(json);
  if (raw.length <= COMPRESS_ABOVE) return { payload: raw, compressed: false };
  return { payload: deflateRawSync(raw), compressed: true };
}

export function decodeValue<T>(e: Pick<StoredEntry, 'payload' | 'compressed'>): T {
  const raw = e.compressed ? inflateRawSync(e.payload) : e.payload;
  return JSON.parse(raw.toString('utf8')) as T;
}

export function newVersion(): string {
  return randomBytes(8).toString('base64url');
}

/** Bytes an entry takes besides its payload (key, versions, bookkeeping), roughly. */
const OVERHEAD = 160;

export class MemoryStore implements CacheStore {
  readonly kind = 'memory' as const;
  private readonly entries: LRUCache<string, StoredEntry>;
  /** Evicting a version only costs misses (see above): bounded like the entries. */
  private readonly tagVersions = new LRUCache<string, string>({ max: 100_000 });

  constructor(maxBytes: number) {
    this.entries = new LRUCache<string, StoredEntry>({
      maxSize: maxBytes,
      sizeCalculation: (e, key) => e.payload.length + key.length + OVERHEAD,
    });
  }

  async read(key: string, tags: readonly string[]): Promise<StoreRead> {
    return {
      entry: this.entries.get(key) ?? null,
      versions: tags.map((t) => this.tagVersions.get(t) ?? null),
    };
  }

  async prepareTags(tags: readonly string[]): Promise<string[]> {
    return tags.map((t) => {
      let v = this.tagVersions.get(t);
      if (v === undefined) {
        v = newVersion();
        this.tagVersions.set(t, v);
      }
      return v;
    });
  }

  async write(key: string, entry: StoredEntry): Promise<void> {
    const ttl = entry.staleUntil - Date.now();
    if (ttl > 0) this.entries.set(key, entry, { ttl });
  }

  async bumpTags(tags: readonly string[]): Promise<void> {
    for (const t of tags) this.tagVersions.set(t, newVersion());
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async lock(): Promise<string | null> {
    return 'memory';
  }

  async unlock(): Promise<void> {}

  async extend(): Promise<boolean> {
    return true;
  }

  async locked(): Promise<boolean> {
    return false;
  }

  async size(): Promise<{ entries: number; bytes: number }> {
    this.entries.purgeStale();
    return { entries: this.entries.size, bytes: this.entries.calculatedSize };
  }

  async clear(): Promise<void> {
    this.entries.clear();
    this.tagVersions.clear();
  }

  async close(): Promise<void> {}
}
