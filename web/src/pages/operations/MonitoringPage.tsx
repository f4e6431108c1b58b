// Monitoring: the health checks (status, latency, uptime over 24 h / 7 d / 30 d, the score, and
// the history of one check), live charts of the metrics chosen from the catalogue (range and step),
// and the capacity projections (the date each limit is reached). Metrics and checks change without
// any domain event, so what is shown is asked again every sample (or check) interval.
import { LineChart } from '@mantine/charts';
import '@mantine/charts/styles.css';
import {
  ActionIcon,
  Badge,
  Button,
  Card,
  Drawer,
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
import { key, useApiQuery } from '../../api/queries.ts';
import type { Ok } from '../../api/types.ts';
import { EmptyChart } from '../../components/ChartOrEmpty.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { WideTable } from '../../components/WideTable.tsx';
import type { Format } from '../../format/format.ts';
import { useFormat } from '../../format/useFormat.ts';
import { useMe, useSession } from '../../session/SessionProvider.tsx';
import { checkName, formatValue, HEALTH_COLORS, metricName, percentOf } from './labels.ts';
import type { SeriesMetric } from './types.ts';

type Health = Ok<'/api/v1/system/health'>;
type HealthCheck = Health['checks'][number];
type Catalogue = Ok<'/api/v1/monitoring/metrics'>;
type CatalogueMetric = Catalogue['metrics'][number];
type Scope = 'org' | 'platform';
type Range = '1h' | '24h' | '7d';

const RANGE_SECONDS: Record<Range, number> = { '1h': 3600, '24h': 86_400, '7d': 7 * 86_400 };
/** The step "automatic" picks per range: a few hundred points at most. */
const AUTO_STEP: Record<Range, number> = { '1h': 15, '24h': 300, '7d': 3600 };
const STEPS = [15, 60, 300, 3600] as const;
/** What a chart shows first, before the member picks others. */
const DEFAULT_METRICS: Record<Scope, string[]> = {
  org: ['http.requests', 'http.response_time.p95_ms'],
  platform: ['system.cpu.percent', 'system.memory.percent'],
};

export default function MonitoringPage() {
  const { t } = useTranslation();
  const { can } = useSession();
  const me = useMe();
  const [scope, setScope] = useState<Scope>('org');
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('operations.monitoring.title')}</Title>
        {me.user.isSuperAdmin && can('monitoring:read') && (
          <SegmentedControl
            aria-label={t('operations.scope.label')}
            value={scope}
            onChange={(v) => setScope(v as Scope)}
            data={[
              { value: 'org', label: t('operations.scope.organization') },
              { value: 'platform', label: t('operations.scope.platform') },
            ]}
          />
        )}
      </Group>
      {can('system:health') && <HealthChecks />}
      {can('monitoring:read') && (
        <>
          <MetricCharts key={scope} scope={scope} />
          <CapacityCard scope={scope} />
        </>
      )}
    </Stack>
  );
}

function StatusBadge({ status }: { status: string }) {
  const { t } = useTranslation();
  return (
    <Badge color={HEALTH_COLORS[status] ?? 'gray'} variant="light" data-status={status}>
      {t(`operations.health.status.${status}` as 'operations.health.status.ok', { defaultValue: status })}
    </Badge>
  );
}

function HealthChecks() {
  const { t } = useTranslation();
  const f = useFormat();
  const [open, setOpen] = useState<HealthCheck | null>(null);
  // The checks run every HEALTH_CHECK_SECONDS (the answer says how often): asked again as often.
  const [every, setEvery] = useState(30);
  const health = useApiQuery(
    key('monitoring', 'health'),
    async () => {
      const h = await call(api.GET('/api/v1/system/health', { params: { query: { limit: 1 } } }));
      setEvery(h.intervalSeconds);
      return h;
    },
    { refetchEveryMs: every * 1000 },
  );
  const h = health.data;
  return (
    <Card withBorder data-testid="health">
      <Stack gap="sm">
        <Group justify="space-between">
          <Title order={3}>{t('operations.health.title')}</Title>
          {h && (
            <Text size="xs" c="dimmed">
              {t('operations.health.every', { seconds: h.intervalSeconds })}
            </Text>
          )}
        </Group>
        <ProblemAlert error={health.error} />
        {!h && !health.error && <Text c="dimmed">{t('common.loading')}</Text>}
        {h && (
          <>
            <Group gap="xl">
              <Stack gap={2}>
                <Text size="xs" c="dimmed">
                  {t('operations.health.overall')}
                </Text>
                <div data-testid="health-status">
                  <StatusBadge status={h.status} />
                </div>
              </Stack>
              <Stack gap={2}>
                <Text size="xs" c="dimmed">
                  {t('operations.health.score')}
                </Text>
                <Text fw={700} size="lg" data-testid="health-score">
                  {h.score === null ? '—' : f.number(Math.round(h.score))}
                </Text>
              </Stack>
              <Text size="sm" c={h.failingChecks > 0 ? 'red' : 'dimmed'}>
                {t('operations.health.failing', { count: h.failingChecks })}
              </Text>
            </Group>
            {h.checks.length === 0 ? (
              <Text c="dimmed">{t('operations.health.none')}</Text>
            ) : (
              <WideTable minWidth={860}>
                <Table highlightOnHover>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>{t('operations.health.check')}</Table.Th>
                      <Table.Th>{t('common.status')}</Table.Th>
                      <Table.Th ta="right">{t('operations.health.latency')}</Table.Th>
                      <Table.Th ta="right">{t('operations.health.uptime24h')}</Table.Th>
                      <Table.Th ta="right">{t('operations.health.uptime7d')}</Table.Th>
                      <Table.Th ta="right">{t('operations.health.uptime30d')}</Table.Th>
                      <Table.Th>{t('operations.health.since')}</Table.Th>
                      <Table.Th>{t('common.actions')}</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {h.checks.map((c) => (
                      <Table.Tr key={c.key} data-check={c.key}>
                        <Table.Td>
                          <Stack gap={0}>
                            <Text size="sm">{checkName(t, c)}</Text>
                            {c.detail && (
                              <Text size="xs" c="dimmed">
                                {c.detail}
                              </Text>
                            )}
                          </Stack>
                        </Table.Td>
                        <Table.Td>
                          <Group gap={4}>
                            <StatusBadge status={c.status} />
                            {c.stale && (
                              <Badge color="gray" variant="outline">
                                {t('operations.health.stale')}
                              </Badge>
                            )}
                          </Group>
                        </Table.Td>
                        <Table.Td ta="right">
                          {t('operations.health.latencyMs', { ms: f.number(c.latencyMs) })}
                        </Table.Td>
                        <Table.Td ta="right" data-testid="uptime-24h">
                          {percentOf(f, c.uptime.last24h)}
                        </Table.Td>
                        <Table.Td ta="right">{percentOf(f, c.uptime.last7d)}</Table.Td>
                        <Table.Td ta="right">{percentOf(f, c.uptime.last30d)}</Table.Td>
                        <Table.Td>{f.dateTime(c.lastChangeAt)}</Table.Td>
                        <Table.Td>
                          <Button
                            size="xs"
                            variant="default"
                            onClick={() => setOpen(c)}
                            aria-label={t('operations.health.historyWho', { name: checkName(t, c) })}
                          >
                            {t('operations.health.history')}
                          </Button>
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </WideTable>
            )}
          </>
        )}
      </Stack>
      <Drawer
        opened={open !== null}
        onClose={() => setOpen(null)}
        position="right"
        size="lg"
        title={open ? t('operations.health.historyOf', { name: checkName(t, open) }) : ''}
      >
        {open && <CheckHistory check={open} />}
      </Drawer>
    </Card>
  );
}

/** The latest results of one check: latency over time, and each result with its status. */
function CheckHistory({ check }: { check: HealthCheck }) {
  const { t } = useTranslation();
  const f = useFormat();
  const history = useApiQuery(key('monitoring', 'health', 'history', check.key), () =>
    call(api.GET('/api/v1/system/health', { params: { query: { check: check.key, limit: 100 } } })),
  );
  const results = history.data?.history ?? [];
  const time = clock(f, 86_400);
  return (
    <Stack data-testid="check-history">
      <ProblemAlert error={history.error} />
      {!history.data && !history.error && <Text c="dimmed">{t('common.loading')}</Text>}
      {history.data && results.length === 0 && <Text c="dimmed">{t('common.empty')}</Text>}
      {results.length > 1 && (
        <LineChart
          h={180}
          data={[...results].reverse().map((r) => ({ at: time(r.checkedAt), latency: r.latencyMs }))}
          dataKey="at"
          series={[{ name: 'latency', label: t('operations.health.latency'), color: 'indigo.6' }]}
          valueFormatter={(v) => t('operations.health.latencyMs', { ms: f.number(v) })}
          withDots={false}
        />
      )}
      {results.length > 0 && (
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('operations.health.checkedAt')}</Table.Th>
              <Table.Th>{t('common.status')}</Table.Th>
              <Table.Th ta="right">{t('operations.health.latency')}</Table.Th>
              <Table.Th>{t('operations.health.detail')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {results.map((r) => (
              <Table.Tr key={r.checkedAt} data-result={r.status}>
                <Table.Td>{f.dateTime(r.checkedAt)}</Table.Td>
                <Table.Td>
                  <StatusBadge status={r.status} />
                </Table.Td>
                <Table.Td ta="right">
                  {t('operations.health.latencyMs', { ms: f.number(r.latencyMs) })}
                </Table.Td>
                <Table.Td>
                  <Text size="xs">{r.detail ?? ''}</Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

/** Times on a chart's axis: hours and minutes over a day or less, else the day too. */
function clock(f: Format, rangeSeconds: number): (iso: string) => string {
  const fmt = new Intl.DateTimeFormat(
    f.locale,
    rangeSeconds > 86_400
      ? { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }
      : { hour: '2-digit', minute: '2-digit' },
  );
  return (iso) => fmt.format(new Date(iso));
}

const allowed = (m: CatalogueMetric, scope: Scope) =>
  m.scope === 'both' || m.scope === (scope === 'platform' ? 'platform' : 'org');

function MetricCharts({ scope }: { scope: Scope }) {
  const { t } = useTranslation();
  const [range, setRange] = useState<Range>('1h');
  const [step, setStep] = useState<string>('auto');
  const [chosen, setChosen] = useState<string[]>(DEFAULT_METRICS[scope]);
  const catalogue = useApiQuery(key('monitoring', 'metrics'), () =>
    call(api.GET('/api/v1/monitoring/metrics')),
  );
  const metrics = (catalogue.data?.metrics ?? []).filter(
    (m) => allowed(m, scope) && !chosen.includes(m.name),
  );
  const sample = catalogue.data?.sampleIntervalSeconds ?? 15;
  const stepSeconds = step === 'auto' ? Math.max(AUTO_STEP[range], sample) : Number(step);
  const stepLabel = (s: number) =>
    s % 3600 === 0
      ? t('operations.monitoring.stepHours', { count: s / 3600 })
      : s % 60 === 0
        ? t('operations.monitoring.stepMinutes', { count: s / 60 })
        : t('operations.monitoring.stepSeconds', { count: s });

  return (
    <Card withBorder data-testid="metrics">
      <Stack gap="sm">
        <Group justify="space-between">
          <Title order={3}>{t('operations.monitoring.series')}</Title>
          <Group gap="xs">
            <SegmentedControl
              aria-label={t('operations.monitoring.range')}
              value={range}
              onChange={(v) => setRange(v as Range)}
              data={(['1h', '24h', '7d'] as const).map((r) => ({
                value: r,
                label: t(`operations.monitoring.range_${r}`),
              }))}
            />
            <Select
              aria-label={t('operations.monitoring.step')}
              w={130}
              value={step}
              onChange={(v) => v && setStep(v)}
              allowDeselect={false}
              data={[
                { value: 'auto', label: t('operations.monitoring.stepAuto') },
                ...STEPS.filter((s) => s >= sample).map((s) => ({ value: String(s), label: stepLabel(s) })),
              ]}
            />
            <Select
              aria-label={t('operations.monitoring.addChart')}
              placeholder={t('operations.monitoring.addChart')}
              w={240}
              searchable
              value={null}
              onChange={(v) => v && setChosen((c) => [...c, v])}
              data={metrics.map((m) => ({ value: m.name, label: metricName(t, m.name) }))}
            />
          </Group>
        </Group>
        <ProblemAlert error={catalogue.error} />
        <Text size="xs" c="dimmed">
          {t('operations.monitoring.refreshEvery', { seconds: Math.max(sample, 15) })}
        </Text>
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          {chosen.map((metric) => (
            <MetricChart
              key={metric}
              metric={metric}
              scope={scope}
              range={range}
              stepSeconds={stepSeconds}
              refreshMs={Math.max(sample, 15) * 1000}
              onRemove={() => setChosen((c) => c.filter((m) => m !== metric))}
            />
          ))}
        </SimpleGrid>
      </Stack>
    </Card>
  );
}

export function MetricChart(props: {
  metric: string;
  scope: Scope;
  range: Range;
  stepSeconds: number;
  refreshMs: number;
  /** Without it the chart cannot be removed (a page showing one fixed metric). */
  onRemove?: () => void;
}) {
  const { t } = useTranslation();
  const f = useFormat();
  const { metric, scope, range, stepSeconds } = props;
  const series = useApiQuery(
    key('monitoring', 'series', scope, metric, range, stepSeconds),
    () => {
      const to = new Date();
      const from = new Date(to.getTime() - RANGE_SECONDS[range] * 1000);
      return call(
        api.GET('/api/v1/monitoring/series', {
          params: {
            query: {
              metric: metric as SeriesMetric,
              from: from.toISOString(),
              to: to.toISOString(),
              step: stepSeconds,
              scope,
            },
          },
        }),
      );
    },
    { refetchEveryMs: props.refreshMs },
  );
  const s = series.data;
  const name = metricName(t, metric);
  const time = clock(f, RANGE_SECONDS[range]);
  return (
    <Card withBorder data-metric={metric}>
      <Group justify="space-between" mb="xs" wrap="nowrap">
        <Title order={4}>{name}</Title>
        <Group gap="xs" wrap="nowrap">
          {s && s.points.length > 0 && (
            <Text size="sm" fw={600} data-testid="latest">
              {formatValue(f, s.unit, s.points[s.points.length - 1]?.value)}
            </Text>
          )}
          {props.onRemove && (
            <ActionIcon
              variant="subtle"
              color="gray"
              aria-label={t('operations.monitoring.removeChart', { name })}
              onClick={props.onRemove}
            >
              ×
            </ActionIcon>
          )}
        </Group>
      </Group>
      <ProblemAlert error={series.error} />
      {!s && !series.error && <EmptyChart h={200} message={t('common.loading')} />}
      {s && s.points.length === 0 && <EmptyChart h={200} message={t('operations.monitoring.noData')} />}
      {s && s.points.length > 0 && (
        <LineChart
          h={200}
          data={s.points.map((p) => ({ at: time(p.at), value: p.value }))}
          dataKey="at"
          series={[{ name: 'value', label: name, color: 'indigo.6' }]}
          valueFormatter={(v) => formatValue(f, s.unit, v)}
          yAxisProps={{
            width: 'auto' as const,
            tickFormatter: (v: number) => formatValue(f, s.unit, v),
            tick: { fontSize: 12, fill: 'currentColor' },
            tickMargin: 10,
          }}
          withDots={s.points.length < 60}
          curveType="linear"
        />
      )}
    </Card>
  );
}

function CapacityCard({ scope }: { scope: Scope }) {
  const { t } = useTranslation();
  const f = useFormat();
  const capacity = useApiQuery(key('monitoring', 'capacity', scope), () =>
    call(api.GET('/api/v1/monitoring/capacity', { params: { query: { scope } } })),
  );
  const c = capacity.data;
  return (
    <Card withBorder data-testid="capacity">
      <Stack gap="sm">
        <Title order={3}>{t('operations.monitoring.capacity.title')}</Title>
        <ProblemAlert error={capacity.error} />
        {!c && !capacity.error && <Text c="dimmed">{t('common.loading')}</Text>}
        {c && (
          <>
            <Text size="sm" c="dimmed">
              {t('operations.monitoring.capacity.help', { days: c.days })}
            </Text>
            <WideTable minWidth={700}>
              <Table>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('operations.monitoring.metric')}</Table.Th>
                    <Table.Th ta="right">{t('operations.monitoring.capacity.current')}</Table.Th>
                    <Table.Th ta="right">{t('operations.monitoring.capacity.limit')}</Table.Th>
                    <Table.Th ta="right">{t('operations.monitoring.capacity.trend')}</Table.Th>
                    <Table.Th>{t('operations.monitoring.capacity.reachedOn')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {c.projections.map((p) => (
                    <Table.Tr key={p.resource} data-resource={p.resource}>
                      <Table.Td>{t(`operations.monitoring.capacity.resource.${p.resource}`)}</Table.Td>
                      <Table.Td ta="right">{formatValue(f, p.unit, p.current)}</Table.Td>
                      <Table.Td ta="right">
                        {p.limit === null
                          ? t('operations.monitoring.capacity.unlimited')
                          : formatValue(f, p.unit, p.limit)}
                      </Table.Td>
                      <Table.Td ta="right">
                        {p.slopePerDay === null ? '—' : formatValue(f, p.unit, p.slopePerDay)}
                      </Table.Td>
                      <Table.Td data-testid="projected">
                        {p.projectedAt
                          ? f.dateTime(p.projectedAt)
                          : p.current === null
                            ? t('operations.monitoring.capacity.noData')
                            : t('operations.monitoring.capacity.notInSight')}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </WideTable>
          </>
        )}
      </Stack>
    </Card>
  );
}
