// The cache in /metrics: reads by outcome, loads and their latency per family, entries and bytes.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Cache } from './cache.ts';

export function registerCacheMetrics(registry: Registry, cache: Cache): void {
  const reads = new Counter({
    name: 'bul_cache_reads_total',
    help: 'Cache reads by family and outcome (hit, miss, stale)',
    labelNames: ['family', 'outcome'],
    registers: [registry],
  });
  const loads = new Counter({
    name: 'bul_cache_loads_total',
    help: 'Loads of cached values by family and result (ok, error)',
    labelNames: ['family', 'result'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'bul_cache_load_duration_seconds',
    help: 'Time a cache load (the computation the cache saves) took, by family',
    labelNames: ['family'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  // Reads before this registry existed (the cache is built once per process) start the counters.
  for (const f of cache.stats()) {
    if (f.hits) reads.inc({ family: f.family, outcome: 'hit' }, f.hits);
    if (f.misses) reads.inc({ family: f.family, outcome: 'miss' }, f.misses);
    if (f.stale) reads.inc({ family: f.family, outcome: 'stale' }, f.stale);
  }
  cache.onEvent((e) => {
    if (e.type === 'load') {
      loads.inc({ family: e.family, result: e.ok ? 'ok' : 'error' });
      latency.observe({ family: e.family }, e.seconds ?? 0);
    } else reads.inc({ family: e.family, outcome: e.type });
  });
  const size = async () => cache.store.size().catch(() => ({ entries: 0, bytes: 0 }));
  new Gauge({
    name: 'bul_cache_entries',
    help: 'Entries in the cache (this process for the memory store, the installation for Redis)',
    registers: [registry],
    async collect() {
      this.set((await size()).entries);
    },
  });
  new Gauge({
    name: 'bul_cache_bytes',
    help: 'Bytes the cache entries take (payloads, compressed when over 1 KB)',
    registers: [registry],
    async collect() {
      this.set((await size()).bytes);
    },
  });
}
