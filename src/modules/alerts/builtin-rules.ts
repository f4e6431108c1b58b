// The rules every organization and the platform start with (L2). Installed for a new organization
// when it is created and, at start, for every organization (and the platform) that lacks some:
// only missing built-in keys are inserted, so a rule an organization tuned or disabled keeps its
// changes through upgrades. Built-in rules can be changed or disabled, not deleted.
import type { Severity } from './evaluate.ts';
import type { AlertRecipientSpec, ConditionInput, RuleType } from './schemas.ts';

export interface BuiltinAlertRule {
  key: string;
  name: string;
  description: string;
  type: RuleType;
  severity: Severity;
  conditions: ConditionInput[];
  match: 'all' | 'any';
  evaluateEverySeconds: number;
  cooldownMinutes: number;
  channels: string[];
  recipients: AlertRecipientSpec[];
  enabled: boolean;
}

const ORG_RECIPIENTS: AlertRecipientSpec[] = [{ kind: 'permission', permission: 'alerts:manage' }];

const rule = (
  r: Omit<
    BuiltinAlertRule,
    'match' | 'evaluateEverySeconds' | 'cooldownMinutes' | 'channels' | 'recipients' | 'enabled'
  > &
    Partial<BuiltinAlertRule>,
  platform: boolean,
): BuiltinAlertRule => ({
  match: 'all',
  evaluateEverySeconds: 60,
  cooldownMinutes: 15,
  channels: ['in_app', 'email'],
  recipients: platform ? [] : ORG_RECIPIENTS,
  enabled: true,
  ...r,
});

const responseTime = (platform: boolean) =>
  rule(
    {
      key: 'response_time_high',
      name: 'Response time above 2 s for 10 minutes',
      description: 'The 95th percentile of API response times stayed above 2,000 ms for 10 minutes.',
      type: 'performance',
      severity: 'warning',
      conditions: [{ metric: 'http.response_time.p95_ms', operator: 'gt', threshold: 2000, forMinutes: 10 }],
    },
    platform,
  );

const errorRate = (platform: boolean) =>
  rule(
    {
      key: 'error_rate_high',
      name: 'Error rate above 5 % for 15 minutes',
      description: 'More than 5 % of API requests answered a server error (5xx) for 15 minutes.',
      type: 'performance',
      severity: 'error',
      conditions: [{ metric: 'http.error_rate.percent', operator: 'gt', threshold: 5, forMinutes: 15 }],
    },
    platform,
  );

/** Installed for every organization. */
export const ORG_BUILTIN_RULES: readonly BuiltinAlertRule[] = [
  responseTime(false),
  errorRate(false),
  rule(
    {
      key: 'failed_login_burst',
      name: 'Burst of failed logins',
      description: 'More than 20 failed logins to the organization within 5 minutes.',
      type: 'security',
      severity: 'warning',
      conditions: [{ metric: 'security.failed_logins', operator: 'gt', threshold: 20, forMinutes: 5 }],
    },
    false,
  ),
  rule(
    {
      key: 'quota_near_limit',
      name: 'A plan quota is near its limit',
      description:
        'Users, storage or monthly API requests stayed at 90 % of the plan’s limit or more for 10 minutes.',
      type: 'business',
      severity: 'warning',
      match: 'any',
      evaluateEverySeconds: 300,
      cooldownMinutes: 1440,
      // Quota shares are read every 5 minutes (the catalogue's periodSeconds): a 10-minute window
      // holds two readings, and coverage waits a period for them.
      conditions: [
        { metric: 'quota.users.percent', operator: 'gte', threshold: 90, forMinutes: 10 },
        { metric: 'quota.storage.percent', operator: 'gte', threshold: 90, forMinutes: 10 },
        { metric: 'quota.api_requests.percent', operator: 'gte', threshold: 90, forMinutes: 10 },
      ],
    },
    false,
  ),
  rule(
    {
      key: 'security_threat',
      name: 'Security threat detected',
      description: 'Threat detection raised a high or critical security event.',
      type: 'security',
      severity: 'critical',
      match: 'any',
      evaluateEverySeconds: 15,
      cooldownMinutes: 5,
      conditions: [
        {
          metric: 'security.threats',
          labels: { severity: 'high' },
          operator: 'gt',
          threshold: 0,
          forMinutes: 1,
        },
        {
          metric: 'security.threats',
          labels: { severity: 'critical' },
          operator: 'gt',
          threshold: 0,
          forMinutes: 1,
        },
      ],
    },
    false,
  ),
];

/** Installed once, platform-wide (the nil organization); their alerts go to the super admins. */
export const PLATFORM_BUILTIN_RULES: readonly BuiltinAlertRule[] = [
  rule(
    {
      key: 'cpu_high',
      name: 'CPU above 80 % for 5 minutes',
      description: 'The hosts’ CPU use stayed above 80 % for 5 minutes.',
      type: 'performance',
      severity: 'warning',
      conditions: [{ metric: 'system.cpu.percent', operator: 'gt', threshold: 80, forMinutes: 5 }],
    },
    true,
  ),
  rule(
    {
      key: 'memory_high',
      name: 'Memory above 90 % for 2 minutes',
      description: 'The hosts’ memory use stayed above 90 % for 2 minutes.',
      type: 'system',
      severity: 'error',
      conditions: [{ metric: 'system.memory.percent', operator: 'gt', threshold: 90, forMinutes: 2 }],
    },
    true,
  ),
  responseTime(true),
  errorRate(true),
  rule(
    {
      key: 'health_check_failing',
      name: 'A health check is failing',
      description:
        'One or more health checks (database, Redis, job queue, disk, TLS certificates, notification providers) failed for 2 minutes.',
      type: 'system',
      severity: 'error',
      evaluateEverySeconds: 30,
      conditions: [{ metric: 'health.failing_checks', operator: 'gt', threshold: 0, forMinutes: 2 }],
    },
    true,
  ),
  rule(
    {
      key: 'backup_missing',
      name: 'Backup failed or missing',
      description:
        'The last successful backup is more than 26 hours old (backup.age_seconds, recorded by the backups module every minute once a backup has succeeded).',
      type: 'compliance',
      severity: 'error',
      evaluateEverySeconds: 300,
      cooldownMinutes: 360,
      conditions: [{ metric: 'backup.age_seconds', operator: 'gt', threshold: 93600, forMinutes: 15 }],
    },
    true,
  ),
  rule(
    {
      key: 'backup_failed',
      name: 'A backup failed',
      description:
        'A backup failed on its last attempt within the last hour (backup.failures; the super admins are also notified of each failure, with its reason, by the notification rule backup_failed).',
      type: 'compliance',
      severity: 'error',
      evaluateEverySeconds: 60,
      cooldownMinutes: 60,
      conditions: [{ metric: 'backup.failures', operator: 'gt', threshold: 0, forMinutes: 60 }],
    },
    true,
  ),
];
