// The executive dashboard: this month's revenue and growth, MRR, projects, active users, new
// clients, churn, satisfaction, conversion; the system, security and alert figures
// (SystemFigures.tsx); daily trends (revenue and MRR, task throughput, churn, response time and
// error rate) over a chosen period. Kept current by the realtime connection, which carries the
// events of the member's organization: in the global scope (super admins: the whole installation)
// other organizations' changes show when the page is opened again. The system figures (requests,
// CPU, health) change without any event: the page asks again every minute.
import { AreaChart, BarChart, LineChart } from '@mantine/charts';
import '@mantine/charts/styles.css';
import { Card, Group, SegmentedControl, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { key, useApiQuery } from '../../api/queries.ts';
import type { Ok } from '../../api/types.ts';
import { ChartOrEmpty } from '../../components/ChartOrEmpty.tsx';
import { moneyAxis } from '../../components/chartAxes.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useFormat } from '../../format/useFormat.ts';
import { useMe } from '../../session/SessionProvider.tsx';
import { executiveMetrics, SystemFigures } from './SystemFigures.tsx';

type Scope = 'org' | 'global';
/** How often the page asks again, for the figures that change without events. */
const SYSTEM_REFRESH_MS = 60_000;
type Metric = Ok<'/api/v1/executive/trends'>['metric'];
type Trend = Ok<'/api/v1/executive/trends'>;

async function trend(metric: Metric, days: number, scope: Scope): Promise<Trend> {
  return call(api.GET('/api/v1/executive/trends', { params: { query: { metric, days, scope } } }));
}

export default function ExecutivePage() {
  const { t } = useTranslation();
  const f = useFormat();
  const me = useMe();
  const [scope, setScope] = useState<Scope>('org');
  const [days, setDays] = useState('30');

  const data = useApiQuery(
    key('analytics', 'ExecutivePage.data', scope, days),
    async () => {
      const n = Number(days);
      const [metrics, revenue, mrr, created, completed, churned, responseTime, errorRate] = await Promise.all(
        [
          executiveMetrics(scope),
          trend('revenue', n, scope),
          trend('mrr', n, scope),
          trend('tasks_created', n, scope),
          trend('tasks_completed', n, scope),
          trend('churned_clients', n, scope),
          trend('response_time', n, scope),
          trend('error_rate', n, scope),
        ],
      );
      return { metrics, revenue, mrr, created, completed, churned, responseTime, errorRate };
    },
    { refetchEveryMs: SYSTEM_REFRESH_MS },
  );

  const d = data.data;
  const money = d?.metrics.money[0];
  const currency = money?.currency ?? 'USD';
  const pct = (v: number | null | undefined) => (v === null || v === undefined ? '—' : f.percent(v / 100));
  const short = f.dayShort;

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('executive.title')}</Title>
        <Group gap="xs">
          {me.user.isSuperAdmin && (
            <SegmentedControl
              aria-label={t('executive.scope')}
              value={scope}
              onChange={(v) => setScope(v as Scope)}
              data={[
                { value: 'org', label: t('executive.scopeOrg') },
                { value: 'global', label: t('executive.scopeGlobal') },
              ]}
            />
          )}
          <SegmentedControl
            aria-label={t('executive.period')}
            value={days}
            onChange={setDays}
            data={['7', '30', '90'].map((n) => ({
              value: n,
              label: t('executive.days', { count: Number(n) }),
            }))}
          />
        </Group>
      </Group>
      {data.updatedAt && (
        <Text size="xs" c="dimmed">
          {t('dashboard.refreshed', { time: data.updatedAt.toLocaleTimeString(f.locale) })}
        </Text>
      )}
      <ProblemAlert error={data.error} />
      {d && (
        <SimpleGrid cols={{ base: 2, sm: 3, lg: 5 }}>
          <Kpi
            label={t('executive.revenue')}
            value={f.money(money?.revenueThisMonthMinor ?? 0, currency)}
            hint={`${t('executive.growth')}: ${pct(money?.revenueGrowthPct)}`}
            testId="kpi-revenue"
          />
          <Kpi label={t('executive.mrr')} value={f.money(money?.mrrMinor ?? 0, currency)} testId="kpi-mrr" />
          <Kpi
            label={t('executive.projects')}
            value={f.number(d.metrics.projects.total)}
            testId="kpi-projects"
          />
          <Kpi
            label={t('executive.activeUsers')}
            value={f.number(d.metrics.activeUsers)}
            testId="kpi-active-users"
          />
          <Kpi
            label={t('executive.newClients')}
            value={f.number(d.metrics.newClients)}
            testId="kpi-new-clients"
          />
          <Kpi
            label={t('executive.churn')}
            value={pct(d.metrics.churn.ratePct)}
            hint={t('executive.churnedOf', {
              churned: d.metrics.churn.churned,
              of: d.metrics.churn.activeAtMonthStart,
            })}
            testId="kpi-churn"
          />
          <Kpi
            label={t('executive.satisfaction')}
            value={d.metrics.satisfaction.average === null ? '—' : f.number(d.metrics.satisfaction.average)}
            hint={t('executive.responses', { count: d.metrics.satisfaction.responses })}
            testId="kpi-satisfaction"
          />
          <Kpi
            label={t('executive.conversion')}
            value={pct(d.metrics.conversion.ratePct)}
            hint={t('executive.wonLost', {
              won: d.metrics.conversion.won,
              lost: d.metrics.conversion.lost,
            })}
            testId="kpi-conversion"
          />
          <Kpi
            label={t('executive.avgProjectBudget')}
            value={f.money(money?.averageProjectBudgetMinor, currency)}
            testId="kpi-avg-project"
          />
        </SimpleGrid>
      )}
      {d && <SystemFigures metrics={d.metrics} scope={scope} />}
      {d && (
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <Card withBorder>
            <Title order={4} mb="sm">
              {t('executive.revenueAndMrr')} ({currency})
            </Title>
            <ChartOrEmpty message={t('common.chartEmptyPeriod')}>
              <AreaChart
                h={240}
                data={(d.revenue.series.find((s) => s.currency === currency)?.points ?? []).map((p, i) => ({
                  day: short(p.date),
                  revenue: f.toMajor(p.value ?? 0, currency),
                  mrr: f.toMajor(
                    d.mrr.series.find((s) => s.currency === currency)?.points[i]?.value ?? 0,
                    currency,
                  ),
                }))}
                dataKey="day"
                series={[
                  { name: 'revenue', label: t('executive.revenue'), color: 'indigo.6' },
                  { name: 'mrr', label: t('executive.mrr'), color: 'teal.6' },
                ]}
                valueFormatter={(v) => f.money(f.toMinor(v, currency), currency)}
                yAxisProps={moneyAxis(f, currency)}
                withLegend
                curveType="monotone"
              />
            </ChartOrEmpty>
          </Card>
          <Card withBorder>
            <Title order={4} mb="sm">
              {t('executive.throughput')}
            </Title>
            <ChartOrEmpty message={t('common.chartEmptyPeriod')}>
              <BarChart
                h={240}
                data={(d.created.series[0]?.points ?? []).map((p, i) => ({
                  day: short(p.date),
                  created: p.value ?? 0,
                  completed: d.completed.series[0]?.points[i]?.value ?? 0,
                }))}
                dataKey="day"
                series={[
                  { name: 'created', label: t('executive.tasksCreated'), color: 'gray.5' },
                  { name: 'completed', label: t('executive.tasksCompleted'), color: 'teal.6' },
                ]}
                yAxisProps={{ allowDecimals: false }}
                withLegend
              />
            </ChartOrEmpty>
          </Card>
          <Card withBorder>
            <Title order={4} mb="sm">
              {t('executive.projectsByStatus')}
            </Title>
            <ChartOrEmpty message={t('common.chartEmptyPeriod')}>
              <BarChart
                h={220}
                data={(['planning', 'active', 'on_hold', 'completed', 'cancelled'] as const).map((s) => ({
                  status: t(`projects.status.${s}`),
                  projects: d.metrics.projects.byStatus[s],
                }))}
                dataKey="status"
                series={[{ name: 'projects', label: t('executive.projects'), color: 'indigo.6' }]}
                yAxisProps={{ allowDecimals: false }}
              />
            </ChartOrEmpty>
          </Card>
          <Card withBorder>
            <Title order={4} mb="sm">
              {t('executive.churnTrend')}
            </Title>
            <ChartOrEmpty message={t('common.chartEmptyPeriod')}>
              <LineChart
                h={220}
                data={(d.churned.series[0]?.points ?? []).map((p) => ({
                  day: short(p.date),
                  churned: p.value ?? 0,
                }))}
                dataKey="day"
                series={[{ name: 'churned', label: t('executive.churnedClients'), color: 'red.6' }]}
                yAxisProps={{ allowDecimals: false }}
              />
            </ChartOrEmpty>
          </Card>
          <Card withBorder>
            <Title order={4} mb="sm">
              {t('operations.executive.systemTrend')}
            </Title>
            <ChartOrEmpty message={t('common.chartEmptyPeriod')}>
              <LineChart
                h={220}
                data={(d.responseTime.series[0]?.points ?? []).map((p, i) => ({
                  day: short(p.date),
                  responseTime: p.value,
                  errorRate: d.errorRate.series[0]?.points[i]?.value ?? null,
                }))}
                dataKey="day"
                series={[
                  { name: 'responseTime', label: t('operations.executive.responseTime'), color: 'indigo.6' },
                  {
                    name: 'errorRate',
                    label: t('operations.executive.errorRate'),
                    color: 'red.6',
                    yAxisId: 'right',
                  },
                ]}
                valueFormatter={(v) => f.number(v)}
                withRightYAxis
                rightYAxisProps={{ tickFormatter: (v: number) => f.percent(v / 100) }}
                yAxisProps={{ tickFormatter: (v: number) => `${f.number(v)} ms` }}
                connectNulls
                withLegend
              />
            </ChartOrEmpty>
          </Card>
        </SimpleGrid>
      )}
    </Stack>
  );
}

function Kpi({
  label,
  value,
  hint,
  testId,
}: {
  label: string;
  value: string;
  hint?: string;
  testId: string;
}) {
  return (
    <Card withBorder>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      {/* Two cards a row on a phone: a long amount ("US$ 12.000,00") wraps, between the currency and
          the number first (Intl joins them with a no-break space), rather than overflow the card. */}
      <Text fw={700} fz={{ base: 'md', sm: 'lg' }} style={{ overflowWrap: 'anywhere' }} data-testid={testId}>
        {value.replace(/[\u00a0\u202f]/g, ' ')}
      </Text>
      {hint && (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      )}
    </Card>
  );
}
