// The health API's schemas (validation, types and OpenAPI): the checks with their status, latency,
// last change and uptime, the score, and the history of results.
import { type Static, Type } from 'typebox';
import { Nullable, StringEnum, Timestamp, Uuid } from '../../platform/http/common-schemas.ts';
import { CHECK_KINDS, HEALTH_STATUSES } from './health-checks.ts';

const KEY_TEXT =
  '`database`, `redis`, `job_queue`, `disk`, `tls_certificate:<host[:port]>`, or `channel:<notification channel id>`.';
const checkKey = (description = KEY_TEXT) =>
  Type.String({
    pattern:
      '^(database|redis|job_queue|disk|channel:[0-9a-f-]{36}|tls_certificate:[A-Za-z0-9.:\\[\\]-]{1,84})$',
    examples: ['database', 'channel:01936f3e-8b1a-7c2d-9e4f-0a1b2c3d4e5f'],
    description,
  });

export const HealthQuery = Type.Object(
  {
    check: Type.Optional(checkKey(`The history of this check only: ${KEY_TEXT}`)),
    from: Type.Optional(Timestamp('History: results at or after.')),
    to: Type.Optional(Timestamp('History: results before.')),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1000,
        default: 50,
        description: 'History: newest results, at most.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type HealthQuery = Static<typeof HealthQuery>;

const Status = StringEnum(HEALTH_STATUSES);
const Percent = Nullable(
  Type.Number({ minimum: 0, maximum: 100, description: 'Share of results ok or degraded; null: no result.' }),
);

export const HealthCheck = Type.Object({
  key: checkKey(),
  kind: StringEnum(CHECK_KINDS),
  name: Type.String({
    description:
      'PostgreSQL, Redis, `TLS certificate (<host[:port]>)`...; a channel: `<kind>: <channel name>`.',
  }),
  orgId: Nullable(Uuid('The organization of a channel check; null for the platform checks.')),
  status: Status,
  latencyMs: Type.Integer({ description: 'How long the last check took.' }),
  detail: Nullable(
    Type.String({
      description: 'What the last check found; null for a platform check seen by an organization.',
    }),
  ),
  checkedAt: Timestamp('When it last ran.'),
  lastChangeAt: Timestamp('Since when its status is what it is.'),
  stale: Type.Boolean({
    description: 'Not run for three intervals or more: the health loop is not running.',
  }),
  uptime: Type.Object({ last24h: Percent, last7d: Percent, last30d: Percent }),
});
export type HealthCheckDto = Static<typeof HealthCheck>;

export const HealthResult = Type.Object({
  key: checkKey(),
  orgId: Nullable(Uuid()),
  status: Status,
  latencyMs: Type.Integer(),
  detail: Nullable(Type.String()),
  checkedAt: Timestamp(),
});
export type HealthResultDto = Static<typeof HealthResult>;

export const HealthReport = Type.Object({
  status: StringEnum(['ok', 'degraded', 'down', 'unknown'] as const, {
    description:
      'down: a critical check (database, disk) is down; degraded: any check is not ok (a TLS certificate down included); unknown: no check has run.',
  }),
  score: Nullable(
    Type.Number({
      minimum: 0,
      maximum: 100,
      description: 'Health score 0–100 (docs/health.md); null: no check.',
    }),
  ),
  failingChecks: Type.Integer({ description: 'Checks down.' }),
  intervalSeconds: Type.Integer({ description: 'HEALTH_CHECK_SECONDS.' }),
  checkedAt: Nullable(Timestamp('The latest result among the checks.')),
  checks: Type.Array(HealthCheck),
  history: Type.Array(HealthResult, {
    description: 'Results newest first: of `check` when given, else of every check shown.',
  }),
});
export type HealthReportDto = Static<typeof HealthReport>;
