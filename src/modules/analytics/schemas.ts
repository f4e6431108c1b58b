// Contracts of the analytics routes. Every figure's formula is stated in its description (and so
// in the OpenAPI document). Conventions shared by all of them:
// - days and months are counted in the organization's time zone (organizations.timezone; UTC for
//   the global scope); `asOf` (default: now) pins the instant the figures are computed for;
// - "the last N days" are the N calendar days ending with asOf's day, from the first one's local
//   midnight up to asOf itself;
// - percentages are 0–100 with 2 decimals; money is integer minor units, one entry per currency
//   (BUL converts nothing).
import { type Static, type TSchema, Type } from 'typebox';
import { DateOnly, StringEnum, Timestamp, Uuid } from '../../platform/http/common-schemas.ts';
import { PageQuery } from '../../platform/http/pagination.ts';
import { PROJECT_STATUSES } from './store.ts';

const AsOf = Type.Optional(
  Timestamp(
    'The instant the figures are computed for (default: now). Its day and month, in the time zone, are "today" and "this month".',
  ),
);

/** T or null; the description of T is repeated on the union, where OpenAPI readers look for it. */
const OrNull = <T extends TSchema>(schema: T) => {
  const { description } = schema as { description?: string };
  return Type.Union([schema, Type.Null()], description ? { description } : {});
};

const Pct = (description: string) => OrNull(Type.Number({ description }));

const ProjectStatus = StringEnum(PROJECT_STATUSES);

const ByStatus = Type.Object(
  {
    planning: Type.Integer({ minimum: 0 }),
    active: Type.Integer({ minimum: 0 }),
    on_hold: Type.Integer({ minimum: 0 }),
    completed: Type.Integer({ minimum: 0 }),
    cancelled: Type.Integer({ minimum: 0 }),
  },
  {
    description:
      'Projects that existed at asOf (created by then), by the status each had at asOf (every status present, 0 when none). A project changed since asOf counts with the status of the latest audit event at or before asOf that recorded one.',
  },
);

// ---- dashboard ---------------------------------------------------------------------------------

export const DashboardQuery = Type.Object({ asOf: AsOf }, { additionalProperties: false });
export type DashboardQueryType = Static<typeof DashboardQuery>;

export const Dashboard = Type.Object({
  asOf: Timestamp(
    "The instant the figures were computed for: the query's asOf, or without one the time of the computation — cached figures are up to CACHE_TTL_MS old (docs/cache.md).",
  ),
  timezone: Type.String({
    description: "The organization's time zone, in which days and weeks are counted.",
  }),
  today: DateOnly("asOf's day in the time zone."),
  projectsByStatus: ByStatus,
  tasksCompletedPerWeek: Type.Array(
    Type.Object({
      weekStart: DateOnly('Monday of the ISO week.'),
      isoWeek: Type.String({ description: 'ISO week label, e.g. 2025-W09.' }),
      completed: Type.Integer({
        minimum: 0,
        description: 'Tasks whose completed_at (local day) falls in the week, up to asOf.',
      }),
    }),
    {
      description:
        "The 12 ISO weeks (Monday to Sunday) ending with asOf's week, oldest first, every week present (0 when none).",
    },
  ),
  overdueTasks: Type.Object({
    count: Type.Integer({
      minimum: 0,
      description:
        'Open tasks (pending or active) whose due date is before today, in projects that are not cancelled.',
    }),
    items: Type.Array(
      Type.Object({
        id: Uuid(),
        title: Type.String(),
        projectId: Uuid(),
        projectName: Type.String(),
        assigneeId: OrNull(Uuid()),
        status: StringEnum(['pending', 'active'] as const),
        priority: StringEnum(['low', 'medium', 'high', 'urgent'] as const),
        dueDate: DateOnly(),
        daysOverdue: Type.Integer({ minimum: 1, description: 'today − dueDate, in days.' }),
      }),
      { description: 'Up to 10 of them, oldest due date first.' },
    ),
  }),
  activityPerUser: Type.Array(
    Type.Object({
      userId: Uuid(),
      name: Type.String(),
      email: Type.String(),
      events: Type.Integer({
        minimum: 0,
        description: 'Successful audit events the member acted (as a user) in the last 30 days.',
      }),
      tasksCompleted: Type.Integer({
        minimum: 0,
        description:
          'Tasks the member completed (the user who moved them to completed, whoever they were assigned to) in the last 30 days.',
      }),
    }),
    {
      description:
        'Every member (up to the 100 most active), most events first (then most tasks completed, then name).',
    },
  ),
  totals: Type.Object({
    openTasks: Type.Integer({ minimum: 0, description: 'Tasks in status pending or active.' }),
    tasksCompletedLast30Days: Type.Integer({
      minimum: 0,
      description: 'Tasks whose completed_at falls in the last 30 days.',
    }),
  }),
});
export type DashboardDto = Static<typeof Dashboard>;

// ---- project performance -----------------------------------------------------------------------

export const ProjectPerformanceQuery = Type.Object(
  {
    status: Type.Optional(ProjectStatus),
    clientId: Type.Optional(Uuid()),
    asOf: AsOf,
    ...PageQuery,
  },
  { additionalProperties: false },
);
export type ProjectPerformanceQueryType = Static<typeof ProjectPerformanceQuery>;

export const ProjectPerformance = Type.Object({
  id: Uuid(),
  name: Type.String(),
  status: ProjectStatus,
  clientId: OrNull(Uuid()),
  currency: Type.String({ description: 'Currency of the budget and of the expenses counted.' }),
  dueDate: OrNull(DateOnly()),
  completedAt: OrNull(Timestamp()),
  onTime: OrNull(
    Type.Boolean({
      description:
        'true: completed on or before its due date (completion day in the time zone); false: completed after it, or still open (planning, active, on hold) with the due date before today; null: no due date, cancelled, or open and not yet due.',
    }),
  ),
  taskOnTimeRate: Pct(
    'Completed tasks with a due date completed on or before it (local day) ÷ completed tasks with a due date × 100; null when there are none.',
  ),
  tasks: Type.Object({
    total: Type.Integer({ minimum: 0 }),
    completed: Type.Integer({ minimum: 0 }),
    cancelled: Type.Integer({ minimum: 0 }),
    completedWithDueDate: Type.Integer({ minimum: 0 }),
    completedOnTime: Type.Integer({ minimum: 0 }),
  }),
  budgetMinor: OrNull(Type.Integer({ description: 'Budget in minor units of `currency`.' })),
  spentMinor: Type.Integer({ description: "Sum of the project's expenses in `currency`." }),
  varianceMinor: OrNull(
    Type.Integer({
      description: 'budgetMinor − spentMinor (negative when over budget); null without a budget.',
    }),
  ),
  variancePct: Pct(
    '(budgetMinor − spentMinor) ÷ budgetMinor × 100; null without a budget or with a budget of 0.',
  ),
  velocity: Type.Number({
    minimum: 0,
    description: 'Tasks completed per week over the last 28 days: tasks completed in them ÷ 4 (2 decimals).',
  }),
  progress: Type.Integer({
    minimum: 0,
    maximum: 100,
    description:
      'The progress override when set; otherwise completed tasks ÷ (all tasks − cancelled) × 100, rounded down (0 without tasks).',
  }),
});
export type ProjectPerformanceDto = Static<typeof ProjectPerformance>;

// ---- executive ---------------------------------------------------------------------------------

const Scope = Type.Optional(
  StringEnum(['org', 'global'] as const, {
    default: 'org',
    description:
      'org: the organization the request acts for, in its time zone. global: every organization of the installation, in UTC (super admins only: `platform:admin`).',
  }),
);

export const ExecutiveMetricsQuery = Type.Object(
  { scope: Scope, asOf: AsOf },
  { additionalProperties: false },
);
export type ExecutiveMetricsQueryType = Static<typeof ExecutiveMetricsQuery>;

export const MoneyMetrics = Type.Object({
  currency: Type.String(),
  revenueThisMonthMinor: Type.Integer({
    description:
      "Revenue this month so far: sum of payments.amount_minor in this currency with paid_on from the first day of asOf's month up to asOf's day.",
  }),
  revenueLastMonthMinor: Type.Integer({
    description: 'Revenue last month: the same sum over the whole previous calendar month.',
  }),
  revenueLastMonthToDateMinor: Type.Integer({
    description:
      "Revenue over the same days of last month: the same sum from the first day of the previous month up to lastMonthSameDay (asOf's day of the month, or the previous month's last day when it is shorter).",
  }),
  revenueGrowthPct: Pct(
    'Like for like: (revenueThisMonthMinor − revenueLastMonthToDateMinor) ÷ revenueLastMonthToDateMinor × 100 — this month so far against the same days of last month (on the 1st: the 1st against the 1st); null when those days had no revenue.',
  ),
  mrrMinor: Type.Integer({
    description:
      "Monthly recurring revenue: the sum of the contracts' monthlyValueMinor (each contract's amount ÷ the months of its billing interval — 1, 3 or 12 — rounded half away from zero in integer arithmetic, as the contracts list shows it) over the contracts active on asOf's day (start_date ≤ day ≤ end_date, no end_date = open-ended). It ties out with the list to the minor unit.",
  }),
  averageProjectBudgetMinor: OrNull(
    Type.Integer({
      description:
        'Mean budget_minor (the planned cost, not what clients pay) of the projects in this currency that existed at asOf (created by then), have a budget and were not cancelled at asOf; rounded half away from zero; null when there are none.',
    }),
  ),
});

// ---- executive: system, security, alerts (issue 17, A2) ------------------------------------------
// Read from the monitoring, system (health checks), security and alerts services. Figures from
// monitoring's samples are pinned by asOf; the health checks, the security dashboard and the alerts
// answer their current state (asOf does not move them). A figure BUL cannot compute yet is null
// with the issue that brings it, never an estimate.

const GlobalOnly = 'scope=global only (a platform figure): null for scope=org.';
const ORG_OR_PLATFORM_HTTP =
  "scope=org: the organization's own requests (monitoring's per-organization http.* series, the requests made in its name); scope=global: every request of the installation (the platform series).";
const WINDOW_24H =
  'Over the 24 hours before asOf: monitoring samples stored at times in [asOf − 24 h, asOf), read per minute (minute roll-ups, then raw samples).';
const LATEST_GAUGE =
  "The sampler's value in the latest sample interval (MONITOR_SAMPLE_SECONDS, 15 s by default) that has one among the five ending with asOf's; null when none (the sampler not running).";

const NullOnly = (description: string) => Type.Null({ description });

export const ExecutiveSystem = Type.Object(
  {
    healthScore: Pct(
      `Health score 0–100 of the latest health-check round (docs/health.md: 100 × Σ weight × value ÷ Σ weight over every check, the notification channels of every organization counted together), as GET /system/health answers a super admin now; null before the first round. ${GlobalOnly}`,
    ),
    uptime: Type.Object(
      {
        last24hPct: Pct(
          "The lowest uptime over the last 24 whole UTC hours (up to now) among the platform checks — database, Redis when configured, job queue, disk; not the notification channels —, each check's uptime being its results ok or degraded ÷ all its results × 100 (docs/health.md); null when no platform check has a result in the window or for scope=org.",
        ),
        last30dPct: Pct('The same over the last 30 days (720 whole UTC hours).'),
      },
      { description: `The installation's availability from the health checks. ${GlobalOnly}` },
    ),
    requests: Type.Integer({
      minimum: 0,
      description: `API requests answered (http.requests). ${WINDOW_24H} ${ORG_OR_PLATFORM_HTTP}`,
    }),
    errors: Type.Integer({
      minimum: 0,
      description: `Of those, answered with a 5xx status (http.errors), same window and scope.`,
    }),
    errorRatePct: Pct('errors ÷ requests × 100 over the window, 2 decimals; null without requests.'),
    avgResponseTimeMs: OrNull(
      Type.Number({
        minimum: 0,
        description:
          'Mean response time over the window: Σ response times (http.response_time.total_ms) ÷ requests, 1 decimal; null without requests.',
      }),
    ),
    cpuPercent: Pct(
      `Host CPU busy, all cores, the busiest host (system.cpu.percent). ${LATEST_GAUGE} ${GlobalOnly}`,
    ),
    memoryPercent: Pct(
      `Host memory in use (total − available), the fullest host (system.memory.percent). ${LATEST_GAUGE} ${GlobalOnly}`,
    ),
    dbConnections: OrNull(
      Type.Integer({
        minimum: 0,
        description: `Connections to BUL's database (db.connections, pg_stat_activity). ${LATEST_GAUGE} ${GlobalOnly}`,
      }),
    ),
    cacheHitRatePct: OrNull(
      Type.Number({
        minimum: 0,
        maximum: 100,
        description: `100 × cache.hits / cache.reads over the 24 hours before asOf, every process (monitoring's cache series; docs/cache.md), 2 decimals; null when nothing was read through the cache. ${GlobalOnly}`,
      }),
    ),
    backupHealth: OrNull(
      Type.Object(
        {
          ageSeconds: OrNull(
            Type.Integer({
              minimum: 0,
              description: 'Seconds since the last successful backup (null: none yet).',
            }),
          ),
          lastSuccessAt: OrNull(Type.String({ format: 'date-time' })),
          status: Type.Union(
            [Type.Literal('ok'), Type.Literal('warning'), Type.Literal('critical'), Type.Literal('unknown')],
            {
              description:
                'ok: a backup within 26 hours and nothing failed since; warning: the last run or verification failed; critical: none for 26 hours; unknown: none yet.',
            },
          ),
          sizeBytes: Type.Integer({
            minimum: 0,
            description: 'Stored bytes of the backups retention keeps.',
          }),
          successRate30d: OrNull(
            Type.Number({
              minimum: 0,
              maximum: 1,
              description: 'Succeeded ÷ finished runs of the last 30 days.',
            }),
          ),
        },
        {
          additionalProperties: false,
          description: `The backups' health (backups module, docs/backups.md). ${GlobalOnly}`,
        },
      ),
    ),
  },
  { additionalProperties: false },
);

const SeverityCounts = Type.Object(
  {
    low: Type.Integer({ minimum: 0 }),
    medium: Type.Integer({ minimum: 0 }),
    high: Type.Integer({ minimum: 0 }),
    critical: Type.Integer({ minimum: 0 }),
  },
  {
    additionalProperties: false,
    description: 'Threats detected in the last 24 h, per severity (same scope).',
  },
);

export const ExecutiveSecurity = Type.Object(
  {
    failedLogins24h: Type.Integer({
      minimum: 0,
      description:
        "Failed logins and MFA steps recorded in the 24 hours before now. scope=org: on the organization's accounts (the security dashboard's last24h.failedLogins); scope=global: every organization's and the platform's (unknown e-mails, users of no organization: docs/security.md) counted together.",
    }),
    lockouts24h: Type.Integer({
      minimum: 0,
      description:
        'Of those, failures that locked the account or the address (same window and scope: scope=global counts every organization and the platform).',
    }),
    incidents24h: Type.Integer({
      minimum: 0,
      description:
        "Security incidents: threats detected (raised) in the 24 hours before now, whatever their status. scope=org: the organization's; scope=global: every organization's and the platform's counted together.",
    }),
    incidents24hBySeverity: SeverityCounts,
    openThreats: Type.Integer({
      minimum: 0,
      description:
        "Threats not dismissed, any age. scope=org: the organization's; scope=global: every organization's and the platform's counted together.",
    }),
    mfaCoveragePct: Pct(
      "Members with multi-factor authentication on ÷ active members × 100, 1 decimal (scope=org: the organization's members; scope=global: every active user); null without members.",
    ),
    complianceScore: NullOnly(
      'Always null: BUL has no compliance module yet; the score comes with the issue that adds one.',
    ),
  },
  { additionalProperties: false },
);

export const ExecutiveAlertFigures = Type.Object(
  {
    active: Type.Integer({
      minimum: 0,
      description:
        "Alerts firing or acknowledged now (not pending, not resolved). scope=org: the organization's alerts; scope=global: every organization's and the platform's (platform-wide rules, under the nil organization) counted together.",
    }),
    activeCritical: Type.Integer({ minimum: 0, description: 'Of those, of severity critical.' }),
    bySeverity: Type.Object(
      {
        info: Type.Integer({ minimum: 0 }),
        warning: Type.Integer({ minimum: 0 }),
        error: Type.Integer({ minimum: 0 }),
        critical: Type.Integer({ minimum: 0 }),
      },
      {
        additionalProperties: false,
        description: 'Active alerts (firing or acknowledged) per severity, same scope.',
      },
    ),
  },
  { additionalProperties: false },
);

export const ExecutiveMetrics = Type.Object({
  scope: StringEnum(['org', 'global'] as const),
  asOf: Timestamp(
    "The instant the figures were computed for: the query's asOf, or without one the time of the computation — cached figures are up to CACHE_TTL_MS old (docs/cache.md).",
  ),
  timezone: Type.String({ description: 'Time zone of the days and months (UTC for the global scope).' }),
  day: DateOnly("asOf's day."),
  monthStart: DateOnly("First day of asOf's month."),
  lastMonthStart: DateOnly('First day of the previous month.'),
  lastMonthSameDay: DateOnly(
    "asOf's day of the month in the previous month (its last day when the previous month is shorter): the end of the days revenue growth compares with.",
  ),
  organizations: Type.Integer({ minimum: 0, description: 'Organizations counted (1 for the org scope).' }),
  money: Type.Array(MoneyMetrics, {
    description:
      "Money figures per currency (BUL converts nothing). The book currency (every organization's for the global scope) is always listed, first for the org scope; other currencies appear when they carry data.",
  }),
  projects: Type.Object({
    total: Type.Integer({ minimum: 0, description: 'Projects that existed at asOf (created by then).' }),
    byStatus: ByStatus,
  }),
  activeUsers: Type.Integer({
    minimum: 0,
    description:
      'Distinct users who acted (successful audit events with a user actor) in the 30 days before asOf.',
  }),
  newClients: Type.Integer({
    minimum: 0,
    description:
      'Clients whose first move to active (client status history) falls in this month, from its first local midnight up to asOf.',
  }),
  churn: Type.Object({
    activeAtMonthStart: Type.Integer({
      minimum: 0,
      description:
        'Clients whose status at the instant this month began was active (latest status change before it).',
    }),
    churned: Type.Integer({
      minimum: 0,
      description: 'Of those, clients moved to churned this month (up to asOf).',
    }),
    ratePct: Pct(
      'Churn rate: churned ÷ activeAtMonthStart × 100; null when no client was active at the month start.',
    ),
  }),
  satisfaction: Type.Object({
    average: OrNull(
      Type.Number({
        description:
          'Mean feedback score (1–5) received in the 90 days before asOf, 2 decimals; null without feedback.',
      }),
    ),
    responses: Type.Integer({ minimum: 0, description: 'Feedback entries averaged.' }),
  }),
  conversion: Type.Object({
    won: Type.Integer({
      minimum: 0,
      description: 'Deals closed won in the 90 days before asOf (by closed_at).',
    }),
    lost: Type.Integer({ minimum: 0, description: 'Deals closed lost in the same window.' }),
    ratePct: Pct('Conversion rate: won ÷ (won + lost) × 100; null when no deal closed.'),
  }),
  system: ExecutiveSystem,
  security: ExecutiveSecurity,
  alerts: ExecutiveAlertFigures,
});
export type ExecutiveSystemDto = Static<typeof ExecutiveSystem>;
export type ExecutiveSecurityDto = Static<typeof ExecutiveSecurity>;
export type ExecutiveAlertFiguresDto = Static<typeof ExecutiveAlertFigures>;
export type ExecutiveMetricsDto = Static<typeof ExecutiveMetrics>;

export const TREND_METRICS = [
  'revenue',
  'mrr',
  'new_clients',
  'churned_clients',
  'tasks_created',
  'tasks_completed',
  'projects_created',
  'active_users',
  'satisfaction',
  'requests',
  'error_rate',
  'response_time',
  'failed_logins',
] as const;
export type TrendMetric = (typeof TREND_METRICS)[number];
export const MONEY_TREND_METRICS: readonly TrendMetric[] = ['revenue', 'mrr'];
/** The trends read from monitoring's hourly roll-ups rather than from the business tables. */
export const SYSTEM_TREND_METRICS = ['requests', 'error_rate', 'response_time', 'failed_logins'] as const;
export type SystemTrendMetric = (typeof SYSTEM_TREND_METRICS)[number];
export const isSystemTrendMetric = (m: TrendMetric): m is SystemTrendMetric =>
  (SYSTEM_TREND_METRICS as readonly string[]).includes(m);

export const TrendQuery = Type.Object(
  {
    metric: StringEnum(TREND_METRICS, {
      description: [
        'Value of each day (days in the time zone; the last day counts up to asOf):',
        '`revenue`: payments.amount_minor with paid_on that day, per currency;',
        '`mrr`: monthly recurring revenue that day, per currency: the sum of the monthlyValueMinor of the contracts active that day (each amount ÷ 1, 3 or 12 months, rounded half away from zero in integer arithmetic, then summed);',
        '`new_clients`: clients whose first move to active happened that day;',
        '`churned_clients`: clients moved from active to churned that day;',
        '`tasks_created`: tasks created that day; `tasks_completed`: tasks whose completed_at falls that day;',
        '`projects_created`: projects created that day;',
        '`active_users`: distinct users with a successful audit event that day;',
        '`satisfaction`: mean feedback score received that day (2 decimals), null on days without feedback;',
        "from monitoring's samples by the hour (hourly roll-ups, 400 days kept; each hour counts for the day its start falls in, up to asOf's hour):",
        "`requests`: API requests answered (http.requests; scope=org the organization's, scope=global the installation's);",
        '`error_rate`: 5xx answers ÷ requests × 100 that day (http.errors ÷ http.requests, 2 decimals), null on days without requests;',
        '`response_time`: mean response time in ms that day (Σ http.response_time.total_ms ÷ http.requests, 1 decimal), null on days without requests;',
        "`failed_logins`: failed logins and MFA steps on the organization's accounts (security.failed_logins; scope=org only: an organization metric, refused for scope=global).",
      ].join(' '),
    }),
    days: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 366,
        default: 30,
        description: "Length of the series, ending with asOf's day.",
      }),
    ),
    scope: Scope,
    asOf: AsOf,
  },
  { additionalProperties: false },
);
export type TrendQueryType = Static<typeof TrendQuery>;

export const Trend = Type.Object({
  metric: StringEnum(TREND_METRICS),
  scope: StringEnum(['org', 'global'] as const),
  asOf: Timestamp(
    "The instant the figures were computed for: the query's asOf, or without one the time of the computation — cached figures are up to CACHE_TTL_MS old (docs/cache.md).",
  ),
  timezone: Type.String(),
  from: DateOnly('First day of the series.'),
  to: DateOnly("Last day of the series (asOf's day)."),
  unit: StringEnum(['count', 'minor', 'score', 'percent', 'ms'] as const, {
    description:
      'count: a number of things; minor: minor units of the series currency; score: 1–5; percent: 0–100; ms: milliseconds.',
  }),
  series: Type.Array(
    Type.Object({
      currency: OrNull(Type.String({ description: 'For money metrics; null for the others.' })),
      points: Type.Array(Type.Object({ date: DateOnly(), value: OrNull(Type.Number()) }), {
        description:
          'One point per day, oldest first, 0 on days without data (satisfaction, error_rate, response_time: null).',
      }),
    }),
    {
      description:
        'One series; money metrics one per currency (the book currency always, others when they carry data).',
    },
  ),
});
export type TrendDto = Static<typeof Trend>;
