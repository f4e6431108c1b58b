// The cache: read-through (`getOrLoad`) with TTL, stampede protection, stale-while-revalidate, a
// circuit breaker per family and scope, and tag invalidation scoped by organization (keys.ts). See
// docs/cache.md.
//
// - Stampede: one load per key at a time in a process (the callers share its promise); on Redis,
//   one across processes: the first takes a short lock (SET NX PX), the others watch for its value
//   and, if the lock goes without a value (its holder died or failed) or they waited `lockWaitMs`,
//   load themselves.
// - Stale-while-revalidate: past its TTL an entry stays `staleMs` longer; a read in that window
//   gets the stale value at once and starts one background refresh.
// - Circuit breaker (breaker.ts), per family and scope: while a family's loads for one organization
//   (or the platform) keep failing, its readers get the stale value when there is one, and
//   otherwise the error that opened the breaker, without a load; other organizations are unaffected.
// - Tags: an entry records its tags' versions when its load starts and is valid only while they
//   are unchanged (store.ts), so a load that raced an invalidation never stores a stale answer.
//   An invalidated entry is never served, not even as stale.
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { Breaker, type BreakerState } from './breaker.ts';
import { type CacheKey, type CacheTag, EVERY_SCOPE, sameScope } from './keys.ts';
import { type CacheStore, decodeValue, encodeValue, type StoredEntry } from './store.ts';

export interface CacheSettings {
  /** Fresh time of an entry unless a call says otherwise. */
  ttlMs: number;
  /** How long past its TTL an entry may still be served stale (and by the circuit breaker). */
  staleMs: number;
  /** Failed loads in a row that open a family's breaker, and how long it stays open. */
  breakerFailures: number;
  breakerResetMs: number;
  /**
   * The cross-process load lock's lifetime (renewed every half of it while the load runs), and how
   * long the others wait at most for its holder (while its lock is held: a dead holder's goes
   * within lockMs).
   */
  lockMs: number;
  lockWaitMs: number;
}

export const DEFAULT_CACHE_SETTINGS: CacheSettings = {
  ttlMs: 60_000,
  staleMs: 300_000,
  breakerFailures: 5,
  breakerResetMs: 10_000,
  lockMs: 5_000,
  lockWaitMs: 30_000,
};

export interface LoadOptions {
  ttlMs?: number;
  staleMs?: number;
  /** Tags of the key's own scope (a tag of another scope is refused). */
  tags?: readonly CacheTag[];
}

/** How invalidations reach the other processes (channel.ts); none for one process or the Redis store. */
export interface InvalidationChannel {
  publish(tagIds: readonly string[]): Promise<void>;
}

export type CacheOutcome = 'hit' | 'miss' | 'stale';

export interface CacheEvent {
  family: string;
  /** A read's outcome, or a load (with its duration and whether it succeeded). */
  type: CacheOutcome | 'load';
  seconds?: number;
  ok?: boolean;
}

export interface FamilyStats {
  family: string;
  hits: number;
  misses: number;
  stale: number;
  loads: number;
  loadErrors: number;
  loadSecondsTotal: number;
  loadSecondsMax: number;
  breaker: BreakerState;
}

interface Read {
  entry: StoredEntry | null;
  /** The entry's tags are still at the versions it recorded. */
  valid: boolean;
}

export class Cache {
  readonly settings: CacheSettings;
  private readonly inflight = new Map<string, Promise<unknown>>();
  /** Per family × scope (one organization's failing loads never fail another's), least recently used out. */
  private readonly breakers = new LRUCache<string, Breaker>({ max: 10_000 });
  private readonly families = new Map<string, FamilyStats>();
  private readonly listeners: ((e: CacheEvent) => void)[] = [];
  private channel: InvalidationChannel | null = null;

  readonly store: CacheStore;
  /** False: every call loads (CACHE_STORE=off; benches compare). */
  readonly enabled: boolean;
  private readonly log: Logger;

  constructor(store: CacheStore, log: Logger, settings: Partial<CacheSettings> = {}, enabled = true) {
    this.store = store;
    this.log = log;
    this.enabled = enabled;
    this.settings = { ...DEFAULT_CACHE_SETTINGS, ...settings };
  }

  useChannel(channel: InvalidationChannel | null): void {
    this.channel = channel;
  }

  /** Called with every read outcome and load (Prometheus counters, metrics.ts). */
  onEvent(listener: (e: CacheEvent) => void): void {
    this.listeners.push(listener);
  }

  async getOrLoad<T>(key: CacheKey, loader: () => Promise<T>, options: LoadOptions = {}): Promise<T> {
    if (!this.enabled) return loader();
    const tags = this.tagIds(key, options.tags);
    let read: Read;
    try {
      read = await this.read(key, tags);
    } catch (err) {
      // The store is down: answer from the loader, uncached, but still one load per key in this
      // process (a Redis outage must not turn every concurrent read into a load).
      this.log.warn({ err, family: key.family }, 'cache read failed; loading without the cache');
      this.count(key.family, 'miss');
      return this.single(key, () => this.timed(key.family, loader));
    }
    const now = Date.now();
    let value: T | undefined;
    if (read.valid && read.entry && now < read.entry.staleUntil) {
      try {
        value = decodeValue<T>(read.entry);
      } catch (err) {
        // Undecodable (corrupted, or written by other code): a miss, whose load overwrites it.
        this.log.warn({ err, family: key.family }, 'cached entry undecodable; reloading');
        read = { entry: null, valid: false };
      }
    }
    if (read.valid && read.entry && now < read.entry.freshUntil) {
      this.count(key.family, 'hit');
      return value as T;
    }
    if (read.valid && read.entry && now < read.entry.staleUntil) {
      this.count(key.family, 'stale');
      // One refresh in the background (joined if one runs); its failure is the breaker's business.
      if (!this.inflight.has(key.id))
        this.single(key, () => this.load(key, loader, tags, options, read, { wait: false })).catch(() => {});
      return value as T;
    }
    this.count(key.family, 'miss');
    return this.single(key, () => this.load(key, loader, tags, options, read, { wait: true }));
  }

  /** Drops every entry carrying one of the tags, in every process. */
  async invalidate(tags: readonly CacheTag[]): Promise<void> {
    const ids = [...new Set(tags.map((t) => t.id))];
    if (ids.length === 0) return;
    await this.store.bumpTags(ids);
    if (this.channel && this.store.kind === 'memory') await this.channel.publish(ids);
  }

  /** An invalidation another process published. */
  async applyRemote(tagIds: readonly string[]): Promise<void> {
    await this.store.bumpTags(tagIds);
  }

  async delete(key: CacheKey): Promise<void> {
    await this.store.delete(key.id);
  }

  /** Reads and reads answered from the cache (fresh or stale) since the process started. */
  totals(): { reads: number; hits: number } {
    let reads = 0;
    let hits = 0;
    for (const f of this.families.values()) {
      reads += f.hits + f.misses + f.stale;
      hits += f.hits + f.stale;
    }
    return { reads, hits };
  }

  /** A family's breaker: open if one of its scopes' is, else half-open if one is, else closed. */
  stats(): FamilyStats[] {
    const worst = new Map<string, BreakerState>();
    for (const [id, b] of this.breakers.entries()) {
      const family = id.slice(0, id.indexOf('|'));
      const was = worst.get(family);
      if (b.state === 'open' || (b.state === 'half-open' && was !== 'open')) worst.set(family, b.state);
    }
    return [...this.families.values()].map((f) => ({ ...f, breaker: worst.get(f.family) ?? 'closed' }));
  }

  private tagIds(key: CacheKey, tags: readonly CacheTag[] = []): string[] {
    for (const t of tags)
      if (!sameScope(t.scope, key.scope))
        throw new Error(`cache tag ${t.id} is not of the scope of key ${key.family}`);
    return [key.scopeTag.id, EVERY_SCOPE.id, ...tags.map((t) => t.id)];
  }

  private async read(key: CacheKey, tags: string[]): Promise<Read> {
    const { entry, versions } = await this.store.read(key.id, tags);
    const valid =
      entry !== null && tags.every((t, i) => versions[i] !== null && entry.versions[t] === versions[i]);
    return { entry, valid };
  }

  private single<T>(key: CacheKey, run: () => Promise<T>): Promise<T> {
    const running = this.inflight.get(key.id);
    if (running) return running as Promise<T>;
    const p = run().finally(() => this.inflight.delete(key.id));
    this.inflight.set(key.id, p);
    return p;
  }

  private breaker(key: CacheKey): Breaker {
    const id = `${key.family}|${key.scopeTag.id}`;
    let b = this.breakers.get(id);
    if (!b) {
      b = new Breaker(() => this.settings);
      this.breakers.set(id, b);
    }
    return b;
  }

  private async load<T>(
    key: CacheKey,
    loader: () => Promise<T>,
    tags: string[],
    options: LoadOptions,
    before: Read,
    o: { wait: boolean },
  ): Promise<T> {
    const stale = before.valid && before.entry && Date.now() < before.entry.staleUntil ? before.entry : null;
    const breaker = this.breaker(key);
    if (!breaker.allow()) {
      if (stale) return decodeValue<T>(stale);
      throw breaker.error;
    }
    // A half-open probe that returns without loading (another process holds the lock) is released
    // in `finally`: as a success when the holder's fresh value came back, else as neither.
    const probe = breaker.state === 'half-open';
    let probed = false;
    try {
      return await this.loadAllowed(key, loader, tags, options, stale, o, breaker, () => {
        probed = true;
      });
    } finally {
      if (probe && !probed) breaker.abandon();
    }
  }

  private async loadAllowed<T>(
    key: CacheKey,
    loader: () => Promise<T>,
    tags: string[],
    options: LoadOptions,
    stale: StoredEntry | null,
    o: { wait: boolean },
    breaker: Breaker,
    settled: () => void,
  ): Promise<T> {
    let token: string | null = null;
    try {
      token = await this.store.lock(key.id, this.settings.lockMs);
      if (!token) {
        if (!o.wait) return stale ? decodeValue<T>(stale) : loader(); // another process refreshes
        const got = await this.awaitHolder(key, tags);
        if (got.value !== undefined) {
          breaker.success(); // the holder loaded: the backend answers
          settled();
          return got.value as T;
        }
        token = got.token;
      }
    } catch (err) {
      this.log.warn({ err, family: key.family }, 'cache lock failed; loading without it');
    }
    // The lock lives `lockMs`; a load may take longer (seconds on a large organization): renew it
    // every lockMs / 2 while the loader runs, so the others keep waiting instead of loading too.
    // A holder that dies stops renewing, and its lock goes within lockMs.
    const held = token;
    const renewal = held
      ? setInterval(
          () => {
            this.store
              .extend(key.id, held, this.settings.lockMs)
              .catch((err) => this.log.warn({ err, family: key.family }, 'cache lock renewal failed'));
          },
          Math.max(1, Math.floor(this.settings.lockMs / 2)),
        )
      : null;
    renewal?.unref();
    try {
      let versions: string[] | null = null;
      try {
        versions = await this.store.prepareTags(tags);
      } catch (err) {
        this.log.warn({ err, family: key.family }, 'cache tags unavailable; loading without storing');
      }
      let value: T;
      try {
        value = await this.timed(key.family, loader);
        breaker.success();
        settled();
      } catch (err) {
        breaker.failure(err);
        settled();
        if (stale) {
          this.log.warn({ err, family: key.family }, 'load failed; serving the stale value');
          return decodeValue<T>(stale);
        }
        throw err;
      }
      if (versions) {
        const now = Date.now();
        const ttl = options.ttlMs ?? this.settings.ttlMs;
        const entry: StoredEntry = {
          ...encodeValue(value),
          freshUntil: now + ttl,
          staleUntil: now + ttl + (options.staleMs ?? this.settings.staleMs),
          versions: Object.fromEntries(tags.map((t, i) => [t, versions[i] as string])),
        };
        await this.store
          .write(key.id, entry)
          .catch((err) => this.log.warn({ err, family: key.family }, 'cache write failed'));
        // What the caller gets is what later readers get: a copy through JSON, never the loader's object.
        return decodeValue<T>(entry);
      }
      return value;
    } finally {
      if (renewal) clearInterval(renewal);
      if (token) await this.store.unlock(key.id, token).catch(() => {});
    }
  }

  /**
   * Another process holds the load lock: wait for its value, or for the lock to go (then take it
   * and load), at most `lockWaitMs` (then load without it).
   */
  private async awaitHolder(
    key: CacheKey,
    tags: string[],
  ): Promise<{ value?: unknown; token: string | null }> {
    const deadline = Date.now() + this.settings.lockWaitMs;
    let pause = 5;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, pause));
      pause = Math.min(pause * 2, 50);
      const fresh = await this.freshValue(key, tags);
      if (fresh) return { value: fresh.value, token: null };
      if (!(await this.store.locked(key.id))) {
        const token = await this.store.lock(key.id, this.settings.lockMs);
        if (!token) continue;
        // The holder may have written its value and let go between the read above and the lock:
        // read once more before loading a second time.
        const written = await this.freshValue(key, tags);
        if (!written) return { token };
        await this.store.unlock(key.id, token).catch(() => {});
        return { value: written.value, token: null };
      }
    }
    return { token: null };
  }

  /** The key's entry when it is valid, fresh and decodable (an undecodable one is loaded over). */
  private async freshValue(key: CacheKey, tags: string[]): Promise<{ value: unknown } | null> {
    const r = await this.read(key, tags);
    if (!r.valid || !r.entry || Date.now() >= r.entry.freshUntil) return null;
    try {
      return { value: decodeValue(r.entry) };
    } catch {
      return null;
    }
  }

  private async timed<T>(family: string, loader: () => Promise<T>): Promise<T> {
    const started = process.hrtime.bigint();
    let ok = false;
    try {
      const v = await loader();
      ok = true;
      return v;
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const f = this.family(family);
      f.loads++;
      if (!ok) f.loadErrors++;
      f.loadSecondsTotal += seconds;
      f.loadSecondsMax = Math.max(f.loadSecondsMax, seconds);
      this.emit({ family, type: 'load', seconds, ok });
    }
  }

  private family(family: string): FamilyStats {
    let f = this.families.get(family);
    if (!f) {
      f = {
        family,
        hits: 0,
        misses: 0,
        stale: 0,
        loads: 0,
        loadErrors: 0,
        loadSecondsTotal: 0,
        loadSecondsMax: 0,
        breaker: 'closed',
      };
      this.families.set(family, f);
    }
    return f;
  }

  private count(family: string, outcome: CacheOutcome): void {
    const f = this.family(family);
    if (outcome === 'hit') f.hits++;
    else if (outcome === 'miss') f.misses++;
    else f.stale++;
    this.emit({ family, type: outcome });
  }

  private emit(e: CacheEvent): void {
    for (const l of this.listeners) l(e);
  }
}
