// Backup health for super admins: the status (a successful backup within 26 hours, the last run
// and verification did not fail), the age of the last successful backup, the success rate over 30
// days, the last verification and drill, the last backup of each type (and the one running now),
// the stored size of the backups of the last 90 days, the schedules with their next run, and the
// targets. Backups change without events reaching this page, so it asks again every few seconds
// while a backup runs or waits.
import { BarChart } from '@mantine/charts';
import '@mantine/charts/styles.css';
import { Anchor, Badge, Card, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, call } from '../../api/client.ts';
import { key, useApiQuery } from '../../api/queries.ts';
import { ChartOrEmpty } from '../../components/ChartOrEmpty.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { WideTable } from '../../components/WideTable.tsx';
import { useFormat } from '../../format/useFormat.ts';
import { Kpi } from '../operations/Kpi.tsx';
import { HealthBadge, RunStatusBadge, VerifyBadge } from './badges.tsx';
import { BACKUP_TYPES, bytes, duration, isActive, STATUS_COLORS, typeName } from './labels.ts';
import { RunBackupButton } from './RunBackupButton.tsx';

const TYPE_COLORS = {
  full: 'indigo.6',
  incremental: 'teal.6',
  differential: 'grape.6',
  critical: 'orange.6',
};

export default function BackupsDashboardPage() {
  const { t } = useTranslation();
  const f = useFormat();
  // Every 3 s while a backup runs or waits, every 30 s otherwise (to see a scheduled one start).
  const [busy, setBusy] = useState(false);
  const status = useApiQuery(
    key('backups', 'status'),
    async () => {
      const s = await call(api.GET('/api/v1/backup/status'));
      setBusy(s.running !== null || s.queued > 0);
      return s;
    },
    { refetchEveryMs: busy ? 3000 : 30_000 },
  );
  const dashboard = useApiQuery(
    key('backups', 'dashboard'),
    () => call(api.GET('/api/v1/backup/dashboard')),
    busy ? { refetchEveryMs: 3000 } : {},
  );
  const d = dashboard.data;
  const s = status.data;
  const h = d?.health;

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('backups.dashboard.title')}</Title>
        <RunBackupButton />
      </Group>
      <ProblemAlert error={dashboard.error ?? status.error} />
      {!d && !dashboard.error && <Text c="dimmed">{t('common.loading')}</Text>}
      {h && (
        <SimpleGrid cols={{ base: 2, md: 5 }} data-testid="backup-health">
          <Card withBorder>
            <Text size="xs" c="dimmed">
              {t('backups.dashboard.status')}
            </Text>
            <div data-testid="health-status">
              <HealthBadge status={h.status} />
            </div>
          </Card>
          <Kpi
            label={t('backups.dashboard.age')}
            testId="kpi-age"
            color={h.status === 'critical' ? 'red' : undefined}
            value={
              h.ageSeconds === null
                ? t('backups.dashboard.never')
                : t('backups.dashboard.ageValue', { age: duration(f, h.ageSeconds * 1000) })
            }
            hint={h.lastSuccessAt ? f.dateTime(h.lastSuccessAt) : undefined}
          />
          <Kpi
            label={t('backups.dashboard.successRate')}
            testId="kpi-success-rate"
            value={h.successRate30d === null ? '—' : f.percent(h.successRate30d)}
          />
          <Kpi
            label={t('backups.dashboard.lastVerify')}
            testId="kpi-verify"
            color={h.lastVerify?.status === 'failed' ? 'red' : undefined}
            value={
              h.lastVerify
                ? t(`backups.verify.${h.lastVerify.status}` as 'backups.verify.passed', {
                    defaultValue: h.lastVerify.status,
                  })
                : t('backups.verify.none')
            }
            hint={h.lastVerify ? f.dateTime(h.lastVerify.at) : undefined}
          />
          <Kpi
            label={t('backups.dashboard.lastDrill')}
            testId="kpi-drill"
            value={
              h.lastDrill
                ? t(`backups.status.${h.lastDrill.status}` as 'backups.status.succeeded', {
                    defaultValue: h.lastDrill.status,
                  })
                : '—'
            }
            hint={
              h.lastDrill
                ? `${f.dateTime(h.lastDrill.at)}${
                    h.lastDrill.rtoSeconds === null
                      ? ''
                      : ` · ${t('backups.dashboard.rto', { time: duration(f, h.lastDrill.rtoSeconds * 1000) })}`
                  }`
                : undefined
            }
          />
        </SimpleGrid>
      )}
      {s && (
        <Card withBorder data-testid="last-by-type">
          <Stack gap="sm">
            <Group justify="space-between">
              <Title order={3}>{t('backups.dashboard.lastByType')}</Title>
              <Group gap="xs">
                {s.running && (
                  <Anchor component={Link} to={`/backups/runs/${s.running.id}`} size="sm">
                    <Badge color={STATUS_COLORS.running} variant="light" data-testid="running-now">
                      {t('backups.dashboard.running')}: {typeName(t, s.running.type)}
                    </Badge>
                  </Anchor>
                )}
                {s.queued > 0 && (
                  <Badge color="gray" variant="light">
                    {t('backups.dashboard.queued', { count: s.queued })}
                  </Badge>
                )}
              </Group>
            </Group>
            <WideTable minWidth={720}>
              <Table>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('backups.type.label')}</Table.Th>
                    <Table.Th>{t('backups.runs.started')}</Table.Th>
                    <Table.Th>{t('backups.status.label')}</Table.Th>
                    <Table.Th ta="right">{t('backups.runs.size')}</Table.Th>
                    <Table.Th ta="right">{t('backups.runs.duration')}</Table.Th>
                    <Table.Th>{t('backups.verify.label')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {BACKUP_TYPES.map((type) => {
                    const r = s.lastByType[type];
                    return (
                      <Table.Tr key={type} data-type={type}>
                        <Table.Td>{typeName(t, type)}</Table.Td>
                        <Table.Td>
                          {r ? (
                            <Anchor component={Link} to={`/backups/runs/${r.id}`} size="sm">
                              {f.dateTime(r.startedAt ?? r.createdAt)}
                            </Anchor>
                          ) : (
                            t('backups.dashboard.never')
                          )}
                        </Table.Td>
                        <Table.Td>{r && <RunStatusBadge status={r.status} />}</Table.Td>
                        <Table.Td ta="right">{r ? bytes(f, r.storedBytes) : '—'}</Table.Td>
                        <Table.Td ta="right">{r ? duration(f, r.durationMs) : '—'}</Table.Td>
                        <Table.Td>{r && !isActive(r.status) && <VerifyBadge verify={r.verify} />}</Table.Td>
                      </Table.Tr>
                    );
                  })}
                </Table.Tbody>
              </Table>
            </WideTable>
          </Stack>
        </Card>
      )}
      {d && (
        <>
          <Card withBorder data-testid="size-trend">
            <Title order={3} mb="sm">
              {t('backups.dashboard.sizeTrend')}
            </Title>
            <ChartOrEmpty message={t('backups.dashboard.sizeTrendEmpty')}>
              <BarChart
                h={240}
                data={d.sizeTrend.map((p) => ({
                  at: f.dateTime(p.at),
                  ...Object.fromEntries(BACKUP_TYPES.map((x) => [x, x === p.type ? p.storedBytes : 0])),
                }))}
                dataKey="at"
                type="stacked"
                series={BACKUP_TYPES.map((x) => ({ name: x, label: typeName(t, x), color: TYPE_COLORS[x] }))}
                valueFormatter={(v) => bytes(f, v)}
                yAxisProps={{
                  width: 'auto',
                  tickFormatter: (v: number) => bytes(f, v),
                  tick: { fontSize: 12, fill: 'currentColor' },
                  tickMargin: 10,
                }}
                withLegend
              />
            </ChartOrEmpty>
          </Card>
          <SimpleGrid cols={{ base: 1, lg: 2 }}>
            <Card withBorder data-testid="schedules">
              <Title order={3} mb="sm">
                {t('backups.dashboard.schedules')}
              </Title>
              <WideTable minWidth={520}>
                <Table>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>{t('backups.type.label')}</Table.Th>
                      <Table.Th>{t('backups.settings.cron')}</Table.Th>
                      <Table.Th>{t('backups.settings.timeZone')}</Table.Th>
                      <Table.Th>{t('backups.dashboard.nextRun')}</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {d.schedules.map((x) => (
                      <Table.Tr key={x.type} data-schedule={x.type}>
                        <Table.Td>{typeName(t, x.type)}</Table.Td>
                        <Table.Td>
                          <Text size="sm" ff="monospace">
                            {x.cron}
                          </Text>
                        </Table.Td>
                        <Table.Td>{x.timeZone}</Table.Td>
                        <Table.Td data-testid="next-run">
                          {x.enabled ? (
                            f.dateTime(x.nextRunAt)
                          ) : (
                            <Badge color="gray" variant="outline">
                              {t('backups.dashboard.disabled')}
                            </Badge>
                          )}
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </WideTable>
            </Card>
            <Card withBorder data-testid="targets">
              <Title order={3} mb="sm">
                {t('backups.dashboard.targets')}
              </Title>
              <Stack gap="xs">
                {d.targets.map((x) => (
                  <Group key={x.role} gap="xs" wrap="nowrap" align="start" data-target={x.role}>
                    <Badge
                      variant="light"
                      color={x.role === 'primary' ? 'indigo' : 'gray'}
                      style={{ flexShrink: 0 }}
                    >
                      {t(`backups.dashboard.targetRole.${x.role}`)}
                    </Badge>
                    <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
                      {x.description}
                    </Text>
                  </Group>
                ))}
              </Stack>
            </Card>
          </SimpleGrid>
        </>
      )}
    </Stack>
  );
}
