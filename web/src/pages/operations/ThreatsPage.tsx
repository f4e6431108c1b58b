// Security: the dashboard (threats by severity and type, failed logins, lockouts, MFA coverage,
// active sessions, the addresses with the most failed logins, over 24 h or 7 days) and the threats
// BUL detected, filtered by type, severity and status, each dismissable. A new threat
// (security.threat_detected) refreshes both through the realtime connection.
import { BarChart } from '@mantine/charts';
import '@mantine/charts/styles.css';
import {
  Button,
  Card,
  Code,
  Group,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { key, useApiQuery, usePagedQuery } from '../../api/queries.ts';
import type { Ok } from '../../api/types.ts';
import { ChartOrEmpty } from '../../components/ChartOrEmpty.tsx';
import { ListTable } from '../../components/ListPage.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { WideTable } from '../../components/WideTable.tsx';
import { useFormat } from '../../format/useFormat.ts';
import { useMe } from '../../session/SessionProvider.tsx';
import { Kpi } from './Kpi.tsx';
import { percentOf } from './labels.ts';
import { SeverityBadge } from './SeverityBadge.tsx';

type Threat = Ok<'/api/v1/security/threats'>['items'][number];
type ThreatType = Threat['type'];
type ThreatSeverity = Threat['severity'];
type Scope = 'organization' | 'platform';
type Period = 'last24h' | 'last7d';

const TYPES: Record<ThreatType, true> = {
  failed_login_burst_account: true,
  failed_login_burst_ip: true,
  credential_stuffing_ip: true,
  credential_stuffing_account: true,
  new_login_location: true,
  impossible_travel: true,
  refresh_token_reuse: true,
  api_key_new_ip: true,
  permission_escalation: true,
  mass_delete: true,
  mass_export: true,
};
const THREAT_TYPES = Object.keys(TYPES) as ThreatType[];
const SEVERITIES: ThreatSeverity[] = ['critical', 'high', 'medium', 'low'];

export default function ThreatsPage() {
  const { t } = useTranslation();
  const me = useMe();
  const [scope, setScope] = useState<Scope>('organization');
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('operations.security.title')}</Title>
        {me.user.isSuperAdmin && (
          <SegmentedControl
            aria-label={t('operations.scope.label')}
            value={scope}
            onChange={(v) => setScope(v as Scope)}
            data={[
              { value: 'organization', label: t('operations.scope.organization') },
              { value: 'platform', label: t('operations.scope.platform') },
            ]}
          />
        )}
      </Group>
      <Dashboard scope={scope} />
      <Threats scope={scope} />
    </Stack>
  );
}

function Dashboard({ scope }: { scope: Scope }) {
  const { t } = useTranslation();
  const f = useFormat();
  const [period, setPeriod] = useState<Period>('last24h');
  const dashboard = useApiQuery(key('security', 'dashboard', scope), () =>
    call(api.GET('/api/v1/security/dashboard', { params: { query: { scope } } })),
  );
  const d = dashboard.data;
  const p = d?.[period];
  return (
    <Stack gap="sm" data-testid="security-dashboard">
      <Group justify="space-between">
        <SegmentedControl
          aria-label={t('executive.period')}
          value={period}
          onChange={(v) => setPeriod(v as Period)}
          data={[
            { value: 'last24h', label: t('operations.security.period.last24h') },
            { value: 'last7d', label: t('operations.security.period.last7d') },
          ]}
        />
        {dashboard.updatedAt && (
          <Text size="xs" c="dimmed">
            {t('operations.refreshed', { time: dashboard.updatedAt.toLocaleTimeString(f.locale) })}
          </Text>
        )}
      </Group>
      <ProblemAlert error={dashboard.error} />
      {!d && !dashboard.error && <Text c="dimmed">{t('common.loading')}</Text>}
      {d && p && (
        <>
          <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }}>
            <Kpi label={t('operations.security.threats')} value={f.number(p.threats)} testId="kpi-threats" />
            <Kpi
              label={t('operations.security.openThreats')}
              value={f.number(d.openThreats)}
              testId="kpi-open-threats"
            />
            <Kpi
              label={t('operations.security.failedLogins')}
              value={f.number(p.failedLogins)}
              testId="kpi-failed-logins"
            />
            <Kpi
              label={t('operations.security.lockouts')}
              value={f.number(p.lockouts)}
              testId="kpi-lockouts"
            />
            <Kpi
              label={t('operations.security.mfaCoverage')}
              value={percentOf(f, d.mfaCoveragePercent)}
              hint={t('operations.security.mfaOf', { with: d.membersWithMfa, of: d.members })}
              testId="kpi-mfa"
            />
            <Kpi
              label={t('operations.security.activeSessions')}
              value={f.number(d.activeSessions)}
              testId="kpi-sessions"
            />
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <Card withBorder>
              <Title order={4} mb="sm">
                {t('operations.security.bySeverity')}
              </Title>
              <ChartOrEmpty message={t('common.chartEmptyPeriod')}>
                <BarChart
                  h={220}
                  data={SEVERITIES.map((s) => ({
                    severity: t(`operations.security.severity.${s}`),
                    threats: p.bySeverity[s],
                  }))}
                  dataKey="severity"
                  series={[{ name: 'threats', label: t('operations.security.threats'), color: 'red.6' }]}
                  yAxisProps={{ allowDecimals: false }}
                />
              </ChartOrEmpty>
            </Card>
            <Card withBorder>
              <Title order={4} mb="sm">
                {t('operations.security.byType')}
              </Title>
              {p.byType.length === 0 ? (
                <Text c="dimmed" size="sm">
                  {t('common.chartEmptyPeriod')}
                </Text>
              ) : (
                <Table>
                  <Table.Tbody>
                    {p.byType.map((row) => (
                      <Table.Tr key={`${row.type}/${row.severity}`} data-by-type={row.type}>
                        <Table.Td>{t(`operations.security.type.${row.type}`)}</Table.Td>
                        <Table.Td>
                          <ThreatSeverityBadge severity={row.severity} />
                        </Table.Td>
                        <Table.Td ta="right">{f.number(row.count)}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              )}
            </Card>
          </SimpleGrid>
          {p.topIps.length > 0 && (
            <Card withBorder>
              <Title order={4} mb="sm">
                {t('operations.security.topIps')}
              </Title>
              <WideTable minWidth={500}>
                <Table>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>{t('operations.security.ip')}</Table.Th>
                      <Table.Th ta="right">{t('operations.security.failedLogins')}</Table.Th>
                      <Table.Th ta="right">{t('operations.security.accounts')}</Table.Th>
                      <Table.Th>{t('operations.security.lastAt')}</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {p.topIps.map((ip) => (
                      <Table.Tr key={ip.ip}>
                        <Table.Td>
                          <Code>{ip.ip}</Code>
                        </Table.Td>
                        <Table.Td ta="right">{f.number(ip.failedLogins)}</Table.Td>
                        <Table.Td ta="right">{f.number(ip.accounts)}</Table.Td>
                        <Table.Td>{f.dateTime(ip.lastAt)}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </WideTable>
            </Card>
          )}
        </>
      )}
    </Stack>
  );
}

function ThreatSeverityBadge({ severity }: { severity: ThreatSeverity }) {
  const { t } = useTranslation();
  return <SeverityBadge severity={severity}>{t(`operations.security.severity.${severity}`)}</SeverityBadge>;
}

/** The evidence of a threat as short "key: value" lines. */
function Evidence({ evidence }: { evidence: Record<string, unknown> }) {
  const entries = Object.entries(evidence).slice(0, 6);
  return (
    <Stack gap={0}>
      {entries.map(([k, v]) => (
        <Text key={k} size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
          {k}: {typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v)}
        </Text>
      ))}
    </Stack>
  );
}

function Threats({ scope }: { scope: Scope }) {
  const { t } = useTranslation();
  const f = useFormat();
  const [type, setType] = useState<ThreatType | null>(null);
  const [severity, setSeverity] = useState<ThreatSeverity | null>(null);
  const [status, setStatus] = useState<'open' | 'dismissed' | null>('open');
  const threats = usePagedQuery(key('security', 'threats', scope, type, severity, status), (cursor) =>
    call(
      api.GET('/api/v1/security/threats', {
        params: {
          query: {
            scope,
            limit: 50,
            ...(type ? { type } : {}),
            ...(severity ? { severity } : {}),
            ...(status ? { status } : {}),
            ...(cursor ? { cursor } : {}),
          },
        },
      }),
    ),
  );
  const dismiss = useSubmit(async (threat: Threat) => {
    await call(
      api.POST('/api/v1/security/threats/{id}/dismiss', {
        params: { path: { id: threat.id }, query: { scope } },
      }),
    );
    await threats.reload();
  });
  const all = t('operations.all');
  return (
    <Stack gap="sm">
      <Title order={3}>{t('operations.security.list')}</Title>
      <Group>
        <Select
          label={t('operations.security.typeLabel')}
          placeholder={all}
          clearable
          w={280}
          value={type}
          onChange={(v) => setType(v as ThreatType | null)}
          data={THREAT_TYPES.map((x) => ({ value: x, label: t(`operations.security.type.${x}`) }))}
        />
        <Select
          label={t('operations.alerts.severityLabel')}
          placeholder={all}
          clearable
          w={160}
          value={severity}
          onChange={(v) => setSeverity(v as ThreatSeverity | null)}
          data={SEVERITIES.map((x) => ({ value: x, label: t(`operations.security.severity.${x}`) }))}
        />
        <Select
          label={t('operations.security.status.label')}
          placeholder={all}
          clearable
          w={160}
          value={status}
          onChange={(v) => setStatus(v as 'open' | 'dismissed' | null)}
          data={[
            { value: 'open', label: t('operations.security.status.open') },
            { value: 'dismissed', label: t('operations.security.status.dismissed') },
          ]}
        />
      </Group>
      <ListTable
        list={threats}
        minWidth={900}
        errors={[dismiss.error]}
        empty={<Text c="dimmed">{t('operations.security.none')}</Text>}
        rowProps={(r) => ({ 'data-threat': r.type })}
        columns={[
          {
            header: t('operations.security.typeLabel'),
            cell: (r) => (
              <Stack gap={2}>
                <Text size="sm">{t(`operations.security.type.${r.type}`)}</Text>
                {r.ip && (
                  <Text size="xs" c="dimmed">
                    {r.ip}
                  </Text>
                )}
              </Stack>
            ),
          },
          {
            header: t('operations.alerts.severityLabel'),
            cell: (r) => <ThreatSeverityBadge severity={r.severity} />,
          },
          {
            header: t('operations.security.status.label'),
            cell: (r) => t(`operations.security.status.${r.status}`),
          },
          {
            header: t('operations.security.occurrences'),
            cell: (r) => f.number(r.occurrences),
            align: 'right',
          },
          { header: t('operations.security.detected'), cell: (r) => f.dateTime(r.detectedAt) },
          { header: t('operations.security.lastSeen'), cell: (r) => f.dateTime(r.lastSeenAt) },
          { header: t('operations.security.evidence'), cell: (r) => <Evidence evidence={r.evidence} /> },
          {
            header: t('common.actions'),
            cell: (r) =>
              r.status === 'open' ? (
                <Button
                  size="xs"
                  variant="default"
                  loading={dismiss.busy}
                  onClick={() => void dismiss.run(r)}
                  aria-label={t('operations.security.dismissWho', { time: f.dateTime(r.detectedAt) })}
                >
                  {t('operations.security.dismiss')}
                </Button>
              ) : null,
          },
        ]}
      />
    </Stack>
  );
}
