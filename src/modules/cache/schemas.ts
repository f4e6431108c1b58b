// The cache API's schemas (validation, types and OpenAPI).
import { type Static, Type } from 'typebox';
import { Nullable, StringEnum, Uuid } from '../../platform/http/common-schemas.ts';

const Counts = {
  reads: Type.Integer({ minimum: 0, description: 'Reads through the cache (hits + stale + misses).' }),
  hits: Type.Integer({ minimum: 0, description: 'Reads answered with a fresh value.' }),
  stale: Type.Integer({
    minimum: 0,
    description: 'Reads answered with a stale value (while one refresh ran, or while loads failed).',
  }),
  misses: Type.Integer({ minimum: 0, description: 'Reads that waited for a load.' }),
  hitRatePct: Nullable(
    Type.Number({ description: '100 × (hits + stale) / reads, 2 decimals; null before any read.' }),
  ),
  loads: Type.Integer({ minimum: 0, description: 'Computations of values (what the cache saves).' }),
  loadErrors: Type.Integer({ minimum: 0 }),
  loadAvgMs: Nullable(Type.Number({ description: 'Mean time of a load, ms; null before any.' })),
  loadMaxMs: Type.Number({ description: 'Longest load, ms.' }),
};

export const CacheFamily = Type.Object(
  {
    family: Type.String({ description: 'A family of cached values (e.g. analytics.dashboard).' }),
    ...Counts,
    breaker: StringEnum(['closed', 'open', 'half-open'] as const, {
      description: "The family's circuit breaker: open while its loads keep failing (stale values served).",
    }),
  },
  { additionalProperties: false },
);

export const CacheMetrics = Type.Object(
  {
    store: StringEnum(['memory', 'redis', 'off'] as const, {
      description: 'memory: each process its own; redis: shared by every process; off: CACHE_STORE=off.',
    }),
    process: Type.String({ description: 'The process answering (host:pid): the counts are its own.' }),
    entries: Type.Integer({
      minimum: 0,
      description: 'Entries held (this process for memory, the installation for Redis).',
    }),
    bytes: Type.Integer({ minimum: 0, description: 'Bytes of the entries (values over 1 KB compressed).' }),
    maxBytes: Nullable(
      Type.Integer({ description: 'CACHE_MAX_BYTES for the memory store; null for Redis.' }),
    ),
    ...Counts,
    families: Type.Array(CacheFamily),
  },
  { additionalProperties: false },
);
export type CacheMetricsDto = Static<typeof CacheMetrics>;

const TAG = '^(\\*|[a-z][a-z0-9_.-]{0,63})$';

export const InvalidateBody = Type.Object(
  {
    tag: Type.String({
      pattern: TAG,
      maxLength: 64,
      description:
        'The tag: `analytics` (dashboards, executive metrics and trends) or `*` (every entry of the scope).',
    }),
    organizationId: Type.Optional(Uuid('The organization whose tag it is.')),
    platform: Type.Optional(
      Type.Boolean({ description: 'true: the platform scope (figures of every organization).' }),
    ),
  },
  { additionalProperties: false },
);
export type InvalidateBodyType = Static<typeof InvalidateBody>;

export const Invalidated = Type.Object(
  {
    scope: StringEnum(['organization', 'platform'] as const),
    organizationId: Nullable(Uuid()),
    tag: Type.String(),
  },
  { additionalProperties: false },
);
export type InvalidatedDto = Static<typeof Invalidated>;
