import { type Static, Type } from 'typebox';
import { Nullable, StringEnum, Timestamp, Uuid } from '../../platform/http/common-schemas.ts';
import { PageQuery } from '../../platform/http/pagination.ts';

export const THREAT_TYPES = [
  'failed_login_burst_account',
  'failed_login_burst_ip',
  'credential_stuffing_ip',
  'credential_stuffing_account',
  'new_login_location',
  'impossible_travel',
  'refresh_token_reuse',
  'api_key_new_ip',
  'permission_escalation',
  'mass_delete',
  'mass_export',
] as const;
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

const Scope = StringEnum(['organization', 'platform'] as const, {
  default: 'organization',
  description:
    "`organization` (default): the caller's organization. `platform`: threats of no organization (failed logins of unknown e-mails, from any address), super admins only.",
});

export const Threat = Type.Object(
  {
    id: Uuid(),
    type: StringEnum(THREAT_TYPES, { description: 'The detector that raised it (docs/security.md).' }),
    severity: StringEnum(SEVERITIES),
    status: StringEnum(['open', 'dismissed'] as const),
    userId: Nullable(Uuid('The account concerned, when there is one.')),
    ip: Nullable(Type.String({ description: 'The address concerned, when there is one.' })),
    evidence: Type.Record(Type.String(), Type.Unknown(), {
      description: 'What the detector saw: counts, window, networks, roles (per type, docs/security.md).',
    }),
    occurrences: Type.Integer({
      minimum: 1,
      description: 'Detections folded into this threat (the same key within the dedupe window).',
    }),
    detectedAt: Timestamp('The first detection.'),
    lastSeenAt: Timestamp('The latest detection.'),
    dismissedBy: Nullable(Uuid()),
    dismissedAt: Nullable(Timestamp()),
  },
  { additionalProperties: false },
);
export type ThreatDto = Static<typeof Threat>;

export const ThreatQuery = Type.Object(
  {
    type: Type.Optional(StringEnum(THREAT_TYPES)),
    severity: Type.Optional(StringEnum(SEVERITIES)),
    status: Type.Optional(StringEnum(['open', 'dismissed'] as const)),
    user: Type.Optional(Uuid('Only threats about this user.')),
    from: Type.Optional(
      Type.String({ format: 'date-time', description: 'Detected at or after (RFC 3339).' }),
    ),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Detected before (RFC 3339).' })),
    scope: Type.Optional(Scope),
    ...PageQuery,
  },
  { additionalProperties: false },
);
export type ThreatQueryType = Static<typeof ThreatQuery>;

export const ScopeQuery = Type.Object({ scope: Type.Optional(Scope) }, { additionalProperties: false });
export type ScopeQueryType = Static<typeof ScopeQuery>;

const Count = (description: string) => Type.Integer({ minimum: 0, description });

const Period = Type.Object(
  {
    threats: Count('Threats detected in the period.'),
    bySeverity: Type.Object(
      Object.fromEntries(SEVERITIES.map((s) => [s, Count(`Threats of severity ${s}.`)])) as Record<
        (typeof SEVERITIES)[number],
        ReturnType<typeof Count>
      >,
      { additionalProperties: false },
    ),
    byType: Type.Array(
      Type.Object({ type: StringEnum(THREAT_TYPES), severity: StringEnum(SEVERITIES), count: Count('') }),
      { description: 'Threats per type and severity, most first.' },
    ),
    failedLogins: Count('Failed logins and MFA steps.'),
    lockouts: Count('Failed logins that locked the account or the address.'),
    topIps: Type.Array(
      Type.Object({
        ip: Type.String(),
        failedLogins: Count(''),
        accounts: Count('Distinct e-mails tried from it.'),
        lastAt: Timestamp(),
      }),
      { description: 'The addresses with the most failed logins (10 at most).' },
    ),
  },
  { additionalProperties: false },
);

export const SecurityDashboard = Type.Object(
  {
    scope: StringEnum(['organization', 'platform'] as const),
    generatedAt: Timestamp(),
    last24h: Period,
    last7d: Period,
    openThreats: Count('Threats not dismissed (any age).'),
    members: Count('Active members (platform: active users).'),
    membersWithMfa: Count('Of those, with multi-factor authentication on.'),
    mfaCoveragePercent: Nullable(
      Type.Number({
        minimum: 0,
        maximum: 100,
        description: '100 × membersWithMfa / members (null: no members).',
      }),
    ),
    activeSessions: Count('Sessions neither revoked nor expired (platform: every session).'),
  },
  { additionalProperties: false },
);
export type SecurityDashboardDto = Static<typeof SecurityDashboard>;
