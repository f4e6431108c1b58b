// The system, security and alert part of the executive page, from GET /executive/metrics (its
// `system`, `security` and `alerts` figures): requests, error rate and response time over 24 hours,
// failed logins, lockouts, security incidents, open threats, MFA coverage and active alerts; in the
// global scope (super admins) the installation's health score, uptime, CPU, memory and database
// connections too, which the API answers for that scope only. A figure the API answers null for
// good (cache hit rate, backup health, compliance score) says "not available yet". The active
// alerts themselves are listed for members who may read alerts.
import { Badge, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { key, useApiQuery } from '../../api/queries.ts';
import { useFormat } from '../../format/useFormat.ts';
import { useSession } from '../../session/SessionProvider.tsx';
import { formatValue, percentOf, SEVERITY_COLORS, severityName } from '../operations/labels.ts';

/** The executive figures (the page reads them once for all its cards). */
export function executiveMetrics(scope: 'org' | 'global') {
  return call(api.GET('/api/v1/executive/metrics', { params: { query: { scope } } }));
}
type Metrics = Awaited<ReturnType<typeof executiveMetrics>>;

/**
 * A figure the API answers null until the issue that brings it (cache hit rate, backup health,
 * compliance score; the typed client leaves such always-null fields out): its number once it comes.
 */
function later(figures: object, name: string): number | null {
  const v = (figures as Record<string, unknown>)[name];
  return typeof v === 'number' ? v : null;
}

export function SystemFigures({ metrics, scope }: { metrics: Metrics; scope: 'org' | 'global' }) {
  const { t } = useTranslation();
  const f = useFormat();
  const { can } = useSession();
  const { system, security, alerts } = metrics;
  const global = scope === 'global';
  const alertScope = global ? 'platform' : 'organization';
  const list = useApiQuery(
    key('alerts', 'executive', alertScope),
    () => call(api.GET('/api/v1/executive/alerts', { params: { query: { limit: 5, scope: alertScope } } })),
    { enabled: can('alerts:read') },
  );
  const unavailable = t('operations.notAvailable');
  const cache = later(system, 'cacheHitRatePct');
  const backup = later(system, 'backupHealth');
  const compliance = later(security, 'complianceScore');
  const active = (list.data?.items ?? []).filter((a) => a.status !== 'resolved');

  return (
    <Stack gap="sm" data-testid="executive-system">
      <Title order={3}>{t('operations.executive.system')}</Title>
      <SimpleGrid cols={{ base: 2, sm: 3, lg: 5 }}>
        {global && (
          <>
            <Figure
              label={t('operations.executive.healthScore')}
              value={system.healthScore === null ? '—' : f.number(Math.round(system.healthScore))}
              testId="kpi-health-score"
            />
            <Figure
              label={t('operations.executive.uptime')}
              value={percentOf(f, system.uptime.last30dPct)}
              hint={`${t('operations.executive.uptime24h')}: ${percentOf(f, system.uptime.last24hPct)}`}
              testId="kpi-uptime"
            />
          </>
        )}
        <Figure
          label={t('operations.executive.requests')}
          value={f.number(system.requests)}
          hint={t('operations.executive.errors', { count: system.errors })}
          testId="kpi-requests"
        />
        <Figure
          label={t('operations.executive.errorRate')}
          value={formatValue(f, 'percent', system.errorRatePct)}
          testId="kpi-error-rate"
        />
        <Figure
          label={t('operations.executive.responseTime')}
          value={formatValue(f, 'ms', system.avgResponseTimeMs)}
          testId="kpi-response-time"
        />
        {global && (
          <>
            <Figure
              label={t('operations.executive.cpu')}
              value={formatValue(f, 'percent', system.cpuPercent)}
              testId="kpi-cpu"
            />
            <Figure
              label={t('operations.executive.memory')}
              value={formatValue(f, 'percent', system.memoryPercent)}
              testId="kpi-memory"
            />
            <Figure
              label={t('operations.executive.dbConnections')}
              value={system.dbConnections === null ? '—' : f.number(system.dbConnections)}
              testId="kpi-db-connections"
            />
          </>
        )}
        <Figure
          label={t('operations.executive.cacheHitRate')}
          value={cache === null ? unavailable : percentOf(f, cache)}
          testId="kpi-cache"
          muted={cache === null}
        />
        <Figure
          label={t('operations.executive.backupHealth')}
          value={backup === null ? unavailable : f.number(backup)}
          testId="kpi-backup"
          muted={backup === null}
        />
      </SimpleGrid>
      <Title order={3}>{t('operations.executive.securityAndAlerts')}</Title>
      <SimpleGrid cols={{ base: 2, sm: 3, lg: 5 }}>
        <Figure
          label={t('operations.executive.criticalAlerts')}
          value={f.number(alerts.activeCritical)}
          hint={t('operations.executive.activeAlerts', { count: alerts.active })}
          testId="kpi-critical-alerts"
          {...(alerts.activeCritical > 0 ? { color: 'red' } : {})}
        />
        <Figure
          label={t('operations.executive.failedLogins')}
          value={f.number(security.failedLogins24h)}
          hint={t('operations.executive.lockouts', { count: security.lockouts24h })}
          testId="kpi-failed-logins"
        />
        <Figure
          label={t('operations.executive.incidents')}
          value={f.number(security.incidents24h)}
          hint={t('operations.executive.openThreats', { count: security.openThreats })}
          testId="kpi-incidents"
        />
        <Figure
          label={t('operations.executive.mfaCoverage')}
          value={percentOf(f, security.mfaCoveragePct)}
          testId="kpi-mfa"
        />
        <Figure
          label={t('operations.executive.complianceScore')}
          value={compliance === null ? unavailable : f.number(compliance)}
          testId="kpi-compliance"
          muted={compliance === null}
        />
      </SimpleGrid>
      {active.length > 0 && (
        <Card withBorder>
          <Stack gap={4}>
            {active.map((a) => (
              <Group key={a.id} gap="xs" wrap="nowrap" data-executive-alert={a.title}>
                <Badge color={SEVERITY_COLORS[a.severity] ?? 'gray'} variant="light">
                  {severityName(t, a.severity)}
                </Badge>
                <Text size="sm" truncate>
                  {a.title}
                </Text>
              </Group>
            ))}
          </Stack>
        </Card>
      )}
    </Stack>
  );
}

function Figure(props: {
  label: string;
  value: string;
  hint?: string;
  testId: string;
  color?: string;
  muted?: boolean;
}) {
  return (
    <Card withBorder>
      <Text size="xs" c="dimmed">
        {props.label}
      </Text>
      <Text
        fw={props.muted ? 400 : 700}
        fz={props.muted ? 'sm' : { base: 'md', sm: 'lg' }}
        c={props.muted ? 'dimmed' : props.color}
        style={{ overflowWrap: 'anywhere' }}
        data-testid={props.testId}
      >
        {props.value.replace(/[\u00a0\u202f]/g, ' ')}
      </Text>
      {props.hint && (
        <Text size="xs" c="dimmed">
          {props.hint}
        </Text>
      )}
    </Card>
  );
}
