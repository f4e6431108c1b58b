// The Redis store: every process reads and writes the same entries, tag versions and load locks.
// Keys are `bul:cache:<installation>:{t|l}:<id>` and, for entries, `bul:cache:<installation>:e:
// <BUL version>.<schema version>:<id>` (the installation is the master key's id, so two
// installations sharing a Redis server never meet; the versions keep releases apart). An entry is one string: a 4-byte header length,
// the header's JSON (freshness, tag versions, compression), then the payload; it expires with its
// stale window (PX). A read is one MGET of the entry and its tags' versions.
import type { Redis } from 'ioredis';
import { type CacheStore, newVersion, type StoredEntry, type StoreRead } from './store.ts';

/** Tag versions outlive any entry (an expired version only costs misses). */
const TAG_TTL_MS = 7 * 24 * 3600_000;

const PREPARE = `
local out = {}
for i, k in ipairs(KEYS) do
  redis.call('SET', k, ARGV[i], 'NX', 'PX', ARGV[#KEYS + 1])
  out[i] = redis.call('GET', k)
end
return out`;

const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

const UNLOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

function encode(e: StoredEntry): Buffer {
  const header = Buffer.from(
    JSON.stringify({ f: e.freshUntil, s: e.staleUntil, v: e.versions, z: e.compressed ? 1 : 0 }),
  );
  const len = Buffer.alloc(4);
  len.writeUInt32BE(header.length);
  return Buffer.concat([len, header, e.payload]);
}

function decode(b: Buffer): StoredEntry | null {
  try {
    const n = b.readUInt32BE(0);
    const h = JSON.parse(b.subarray(4, 4 + n).toString('utf8')) as {
      f: number;
      s: number;
      v: Record<string, string>;
      z: number;
    };
    return {
      freshUntil: h.f,
      staleUntil: h.s,
      versions: h.v,
      compressed: h.z === 1,
      payload: b.subarray(4 + n),
    };
  } catch {
    return null;
  }
}

export class RedisStore implements CacheStore {
  readonly kind = 'redis' as const;
  private readonly prefix: string;
  private sized: { at: number; value: { entries: number; bytes: number } } | null = null;

  private readonly redis: Redis;

  /** Entries only: tag versions and locks are shared by every version of BUL on the installation. */
  private readonly namespace: string;

  /**
   * `namespace`: BUL's version and the schema's (index.ts cacheNamespace), so a process of another
   * release or migration never reads entries of this one (their shape may differ).
   */
  constructor(redis: Redis, installation: string, namespace = '') {
    this.redis = redis;
    this.prefix = `bul:cache:${installation}:`;
    this.namespace = namespace;
  }

  private e(key: string) {
    return `${this.prefix}e:${this.namespace}:${key}`;
  }
  private t(tag: string) {
    return `${this.prefix}t:${tag}`;
  }
  private l(key: string) {
    return `${this.prefix}l:${key}`;
  }

  async read(key: string, tags: readonly string[]): Promise<StoreRead> {
    const got = await this.redis.mgetBuffer(this.e(key), ...tags.map((t) => this.t(t)));
    const raw = got[0];
    return {
      entry: raw ? decode(raw) : null,
      versions: got.slice(1).map((b) => (b ? b.toString('utf8') : null)),
    };
  }

  async prepareTags(tags: readonly string[]): Promise<string[]> {
    if (tags.length === 0) return [];
    const out = (await this.redis.eval(
      PREPARE,
      tags.length,
      ...tags.map((t) => this.t(t)),
      ...tags.map(() => newVersion()),
      String(TAG_TTL_MS),
    )) as string[];
    return out;
  }

  async write(key: string, entry: StoredEntry): Promise<void> {
    const ttl = entry.staleUntil - Date.now();
    if (ttl > 0) await this.redis.set(this.e(key), encode(entry), 'PX', ttl);
  }

  async bumpTags(tags: readonly string[]): Promise<void> {
    if (tags.length === 0) return;
    const p = this.redis.multi();
    for (const t of tags) p.set(this.t(t), newVersion(), 'PX', TAG_TTL_MS);
    await p.exec();
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(this.e(key));
  }

  async lock(key: string, ms: number): Promise<string | null> {
    const token = newVersion();
    const ok = await this.redis.set(this.l(key), token, 'PX', ms, 'NX');
    return ok === 'OK' ? token : null;
  }

  async unlock(key: string, token: string): Promise<void> {
    await this.redis.eval(UNLOCK, 1, this.l(key), token);
  }

  async extend(key: string, token: string, ms: number): Promise<boolean> {
    return (await this.redis.eval(EXTEND, 1, this.l(key), token, String(ms))) === 1;
  }

  async locked(key: string): Promise<boolean> {
    return (await this.redis.exists(this.l(key))) === 1;
  }

  /** Counted by a SCAN of the installation's entries (at most every 30 s, up to 100,000 keys). */
  async size(): Promise<{ entries: number; bytes: number }> {
    if (this.sized && Date.now() - this.sized.at < 30_000) return this.sized.value;
    let entries = 0;
    let bytes = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}e:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) {
        const p = this.redis.pipeline();
        for (const k of keys) p.strlen(k);
        for (const [, n] of (await p.exec()) ?? []) bytes += typeof n === 'number' ? n : 0;
        entries += keys.length;
      }
    } while (cursor !== '0' && entries < 100_000);
    this.sized = { at: Date.now(), value: { entries, bytes } };
    return this.sized.value;
  }

  async clear(): Promise<void> {}

  async close(): Promise<void> {}
}
