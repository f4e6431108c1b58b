// The monitoring API's schemas (validation, types and OpenAPI).
import { type Static, Type } from 'typebox';
import { Nullable, StringEnum, Timestamp } from '../../platform/http/common-schemas.ts';
import { METRIC_NAMES } from './metric-catalogue.ts';

/** The most points one series answer holds. */
export const MAX_POINTS = 2000;

const Scope = StringEnum(['org', 'platform'] as const, {
  description:
    'org (default): the organization the request acts for. platform: the installation (host, processes, all requests); super admins only (`platform:admin`).',
});

const MetricUnit = StringEnum(['percent', 'ms', 'bytes', 'count', 'per_second', 'seconds'] as const);

export const SeriesQuery = Type.Object(
  {
    metric: StringEnum(METRIC_NAMES, { description: 'A metric of GET /monitoring/metrics.' }),
    from: Type.Optional(Timestamp('Start, inclusive (default: an hour before `to`).')),
    to: Type.Optional(Timestamp('End, exclusive (default: now).')),
    step: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 366 * 86400,
        description: `Seconds per point (default: the sample interval, or longer so that there are at most ${MAX_POINTS} points). At least the sample interval; whole minutes and hours are answered from the roll-ups.`,
      }),
    ),
    scope: Type.Optional(Scope),
    labels: Type.Optional(
      Type.String({
        maxLength: 200,
        description:
          'Which series of a labelled metric, as key=value pairs separated by commas (e.g. `group=tasks`); none: the unlabelled series (the total).',
      }),
    ),
  },
  { additionalProperties: false },
);
export type SeriesQueryType = Static<typeof SeriesQuery>;

export const Series = Type.Object({
  metric: Type.String(),
  scope: Scope,
  unit: MetricUnit,
  labels: Type.Record(Type.String(), Type.String()),
  from: Timestamp(),
  to: Timestamp(),
  stepSeconds: Type.Integer(),
  points: Type.Array(
    Type.Object({
      at: Timestamp('Start of the step.'),
      value: Type.Number(),
    }),
    {
      description:
        'One per step that has samples, oldest first; a step without samples is absent (not zero).',
    },
  ),
});
export type SeriesDto = Static<typeof Series>;

export const MetricCatalogue = Type.Object({
  sampleIntervalSeconds: Type.Integer({ description: 'MONITOR_SAMPLE_SECONDS.' }),
  metrics: Type.Array(
    Type.Object({
      name: Type.String(),
      scope: StringEnum(['platform', 'org', 'both'] as const),
      unit: MetricUnit,
      help: Type.String(),
      combine: StringEnum(['sum', 'avg', 'max'] as const, {
        description:
          'How the values of several processes at one sample time make one (sum, avg, max); within a step, sum metrics add up and the others average.',
      }),
      labels: Type.Array(Type.String()),
      derived: Type.Boolean({ description: 'Computed per step from two stored sums.' }),
    }),
  ),
});
export type MetricCatalogueDto = Static<typeof MetricCatalogue>;

export const CapacityQuery = Type.Object(
  {
    scope: Type.Optional(Scope),
    days: Type.Optional(
      Type.Integer({ minimum: 2, maximum: 400, description: 'Days of history the fit uses (default 30).' }),
    ),
  },
  { additionalProperties: false },
);
export type CapacityQueryType = Static<typeof CapacityQuery>;

const Projection = Type.Object({
  resource: StringEnum(['users', 'storage', 'requests', 'disk'] as const),
  metric: Type.String({ description: 'The series fitted.' }),
  unit: MetricUnit,
  current: Nullable(Type.Number({ description: 'The last value of the series (null: no data).' })),
  limit: Nullable(
    Type.Number({
      description:
        "The limit: the plan's (users, bytes, requests per month) or, for disk, 0 bytes free. null: unlimited.",
    }),
  ),
  samples: Type.Integer({ description: 'Points in the fit.' }),
  slopePerDay: Nullable(
    Type.Number({ description: 'The fitted line: change per day (null: fewer than 2 points).' }),
  ),
  projectedAt: Nullable(
    Timestamp(
      'When the fitted line reaches the limit (now when already there); null: no limit, no data, or not growing toward it.',
    ),
  ),
});

export const Capacity = Type.Object({
  scope: Scope,
  asOf: Timestamp(),
  days: Type.Integer(),
  projections: Type.Array(Projection),
});
export type CapacityDto = Static<typeof Capacity>;
export type ProjectionDto = Static<typeof Projection>;
