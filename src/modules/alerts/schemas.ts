// The alerts API's schemas (validation, types and OpenAPI): rules with their conditions, alerts
// with their history, the preview of a rule over the last 24 hours.
import { type Static, Type } from 'typebox';
import {
  Name,
  Nullable,
  ResourceFields,
  StringEnum,
  Timestamp,
  Uuid,
} from '../../platform/http/common-schemas.ts';
import { PageQuery } from '../../platform/http/pagination.ts';
import { ORG_PERMISSIONS } from '../../platform/http/permissions.ts';
import { OPERATORS, SEVERITIES } from './evaluate.ts';

export const RULE_TYPES = ['performance', 'security', 'system', 'business', 'compliance'] as const;
export type RuleType = (typeof RULE_TYPES)[number];

/** The notification channels an alert goes out on (the notifications module's delivery channels). */
export const ALERT_CHANNELS = [
  'in_app',
  'email',
  'sms',
  'push',
  'webhook',
  'slack',
  'teams',
  'discord',
  'whatsapp',
] as const;
export type AlertChannel = (typeof ALERT_CHANNELS)[number];

export const ALERT_STATUSES = ['pending', 'firing', 'acknowledged', 'resolved'] as const;

const Scope = StringEnum(['organization', 'platform'] as const, {
  description:
    '`platform`: the installation-wide rules and alerts (super admins only); `organization` (default): the caller’s organization.',
});

export const ScopeQuery = Type.Object({ scope: Type.Optional(Scope) }, { additionalProperties: false });

export const ConditionSchema = Type.Object(
  {
    metric: Type.String({
      minLength: 1,
      maxLength: 100,
      examples: ['system.cpu.percent'],
      description:
        'A metric of the monitoring catalogue (GET /api/v1/monitoring/metrics) allowed for the rule’s scope.',
    }),
    labels: Type.Optional(
      Type.Record(Type.String({ maxLength: 50 }), Type.String({ maxLength: 200 }), {
        description: 'Only the samples with these labels (e.g. `{ "severity": "high" }`).',
      }),
    ),
    operator: StringEnum(OPERATORS, {
      description:
        'gt, lt, eq, gte, lte compare each step (or, for count metrics, the window’s total) with the threshold; contains: some step of the window equals it (count metrics only).',
    }),
    threshold: Type.Number({
      description: 'In the metric’s unit: percent 0–100; ms, bytes, counts and seconds not negative.',
    }),
    forMinutes: Type.Number({
      minimum: 0,
      maximum: 1440,
      description:
        'The window: the condition must hold over the last N minutes (at least one sampling interval).',
    }),
  },
  { additionalProperties: false },
);
export type ConditionInput = Static<typeof ConditionSchema>;

const AlertRecipient = Type.Union([
  Type.Object(
    { kind: Type.Literal('role'), roleId: Uuid('Every active member with this role.') },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('department'),
      departmentId: Uuid('Every active member of this department and below.'),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('permission'),
      permission: StringEnum(ORG_PERMISSIONS, { description: 'Every active member holding it.' }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('users'),
      userIds: Type.Array(Uuid(), { minItems: 1, maxItems: 100, uniqueItems: true }),
    },
    { additionalProperties: false },
  ),
]);
export type AlertRecipientSpec = Static<typeof AlertRecipient>;

const Conditions = Type.Array(ConditionSchema, { minItems: 1, maxItems: 10 });
const Channels = Type.Array(StringEnum(ALERT_CHANNELS), {
  minItems: 1,
  maxItems: 9,
  uniqueItems: true,
  description: 'Where the alert is notified (default in_app and email).',
});
const Recipients = Type.Array(AlertRecipient, {
  maxItems: 20,
  description:
    'Who is notified (default: the members holding alerts:manage). Platform-wide rules notify the super admins.',
});
const EvaluateEvery = Type.Integer({
  minimum: 15,
  maximum: 86400,
  multipleOf: 15,
  description: 'Seconds between evaluations: a multiple of 15, at least the sampling interval (default 60).',
});
const Cooldown = Type.Integer({
  minimum: 1,
  maximum: 10080,
  description:
    'Minutes after an alert of this rule resolves during which it does not fire again (default 15).',
});
const Match = StringEnum(['all', 'any'] as const, {
  description: 'Whether every condition (default) or any one must hold.',
});

const ruleFields = {
  name: Name(200),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  type: StringEnum(RULE_TYPES),
  severity: StringEnum(SEVERITIES),
  conditions: Conditions,
  match: Type.Optional(Match),
  evaluateEverySeconds: Type.Optional(EvaluateEvery),
  cooldownMinutes: Type.Optional(Cooldown),
  channels: Type.Optional(Channels),
  recipients: Type.Optional(Recipients),
  enabled: Type.Optional(Type.Boolean()),
};

export const CreateAlertRuleBody = Type.Object(
  { ...ruleFields, scope: Type.Optional(Scope) },
  { additionalProperties: false },
);
export type CreateAlertRuleInput = Static<typeof CreateAlertRuleBody>;

export const UpdateAlertRuleBody = Type.Object(
  {
    name: Type.Optional(Name(200)),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    type: Type.Optional(StringEnum(RULE_TYPES)),
    severity: Type.Optional(StringEnum(SEVERITIES)),
    conditions: Type.Optional(Conditions),
    match: Type.Optional(Match),
    evaluateEverySeconds: Type.Optional(EvaluateEvery),
    cooldownMinutes: Type.Optional(Cooldown),
    channels: Type.Optional(Channels),
    recipients: Type.Optional(Recipients),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateAlertRuleInput = Static<typeof UpdateAlertRuleBody>;

export const PreviewBody = Type.Object(
  {
    conditions: Conditions,
    match: Type.Optional(Match),
    evaluateEverySeconds: Type.Optional(EvaluateEvery),
    cooldownMinutes: Type.Optional(Cooldown),
    scope: Type.Optional(Scope),
  },
  { additionalProperties: false },
);
export type PreviewInput = Static<typeof PreviewBody>;

export const AlertRule = Type.Object({
  ...ResourceFields,
  scope: Scope,
  name: Type.String(),
  description: Type.String(),
  type: StringEnum(RULE_TYPES),
  severity: StringEnum(SEVERITIES),
  conditions: Type.Array(ConditionSchema),
  match: Match,
  evaluateEverySeconds: Type.Integer(),
  cooldownMinutes: Type.Integer(),
  channels: Type.Array(Type.String()),
  recipients: Type.Array(AlertRecipient),
  enabled: Type.Boolean(),
  builtinKey: Nullable(Type.String({ description: 'The built-in rule this is (tunable, not deletable).' })),
  silencedUntil: Nullable(Timestamp('No notification of this rule’s alerts until then.')),
  cooldownUntil: Nullable(Timestamp('No new alert of this rule until then.')),
});
export type AlertRuleDto = Static<typeof AlertRule>;

export const RuleListQuery = Type.Object(
  { scope: Type.Optional(Scope), ...PageQuery },
  { additionalProperties: false },
);

export const Episode = Type.Object({
  startedAt: Timestamp(),
  firedAt: Nullable(Timestamp()),
  resolvedAt: Nullable(Timestamp('Null: still firing at the end of the replay.')),
  value: Nullable(Type.Number()),
});

export const Preview = Type.Object({
  from: Timestamp(),
  to: Timestamp(),
  fired: Type.Integer({ description: 'How many times the rule would have fired.' }),
  episodes: Type.Array(Episode),
});

export const AlertTransition = Type.Object({
  from: Nullable(Type.String()),
  to: StringEnum([...ALERT_STATUSES, 'silenced'] as const),
  at: Timestamp(),
  actorId: Nullable(Uuid('Null: the evaluator.')),
  actorName: Nullable(Type.String({ description: 'The member who moved it (null: the evaluator).' })),
  value: Nullable(Type.Number()),
  comment: Nullable(Type.String()),
});

export const Alert = Type.Object({
  ...ResourceFields,
  scope: Scope,
  ruleId: Uuid(),
  ruleName: Type.String(),
  status: StringEnum(ALERT_STATUSES),
  severity: StringEnum(SEVERITIES),
  type: StringEnum(RULE_TYPES),
  title: Type.String(),
  value: Nullable(Type.Number()),
  details: Type.Record(Type.String(), Type.Unknown()),
  startedAt: Timestamp(),
  firedAt: Nullable(Timestamp()),
  acknowledgedAt: Nullable(Timestamp()),
  acknowledgedBy: Nullable(Uuid()),
  ackComment: Nullable(Type.String()),
  resolvedAt: Nullable(Timestamp()),
  resolvedBy: Nullable(Uuid()),
  resolution: Nullable(StringEnum(['auto', 'manual', 'cleared'] as const)),
  silencedUntil: Nullable(Timestamp()),
});
export type AlertDto = Static<typeof Alert>;

export const AlertWithHistory = Type.Intersect([
  Alert,
  Type.Object({ history: Type.Array(AlertTransition) }),
]);
export type AlertWithHistoryDto = Static<typeof AlertWithHistory>;

export const AlertListQuery = Type.Object(
  {
    scope: Type.Optional(Scope),
    status: Type.Optional(
      StringEnum([...ALERT_STATUSES, 'active'] as const, {
        description: '`active`: firing or acknowledged.',
      }),
    ),
    severity: Type.Optional(StringEnum(SEVERITIES)),
    ruleId: Type.Optional(Uuid()),
    ...PageQuery,
  },
  { additionalProperties: false },
);
export type AlertListQueryType = Static<typeof AlertListQuery>;

export const AcknowledgeBody = Type.Object(
  {
    alertId: Uuid(),
    comment: Type.Optional(Type.String({ maxLength: 2000 })),
    scope: Type.Optional(Scope),
  },
  { additionalProperties: false },
);

export const ResolveBody = Type.Object(
  {
    alertId: Uuid(),
    comment: Type.Optional(Type.String({ maxLength: 2000 })),
    scope: Type.Optional(Scope),
  },
  { additionalProperties: false },
);

export const SilenceBody = Type.Object(
  {
    alertId: Uuid(),
    until: Timestamp('No notification of this rule’s alerts until then (at most 30 days ahead).'),
    comment: Type.Optional(Type.String({ maxLength: 2000 })),
    scope: Type.Optional(Scope),
  },
  { additionalProperties: false },
);

export const ExecutiveAlertsQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
    scope: Type.Optional(Scope),
  },
  { additionalProperties: false },
);

export const ExecutiveAlerts = Type.Object({
  active: Type.Integer({ description: 'Firing or acknowledged alerts.' }),
  activeCritical: Type.Integer(),
  bySeverity: Type.Record(Type.String(), Type.Integer(), { description: 'Active alerts per severity.' }),
  items: Type.Array(Alert, { description: 'Active first, most severe first, then the latest resolved.' }),
});
