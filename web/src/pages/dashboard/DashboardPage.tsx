// The organization's dashboard: projects by status, tasks completed per week, overdue tasks and
// activity per member, kept current by the realtime connection (a task, project or client event
// makes the analytics stale) rather than by polling.
import { BarChart, DonutChart } from '@mantine/charts';
import '@mantine/charts/styles.css';
import { Anchor, Card, ColorSwatch, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, call } from '../../api/client.ts';
import { key, useApiQuery } from '../../api/queries.ts';
import type { ProjectStatus } from '../../api/types.ts';
import { ChartOrEmpty, EmptyChart } from '../../components/ChartOrEmpty.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { WideTable } from '../../components/WideTable.tsx';
import { useFormat } from '../../format/useFormat.ts';

// One distinct colour per status (grey read as "no data" when every project was in planning).
const STATUS_COLORS: Record<ProjectStatus, string> = {
  planning: 'grape.5',
  active: 'indigo.6',
  on_hold: 'yellow.5',
  completed: 'teal.6',
  cancelled: 'red.5',
};
const STATUSES = Object.keys(STATUS_COLORS) as ProjectStatus[];

/** A theme colour such as `indigo.6` as CSS. */
const cssColor = (themeColor: string) => `var(--mantine-color-${themeColor.replace('.', '-')})`;

/** "2026-W38" → the week number and year. */
function isoWeek(label: string): { week: number; year: number } {
  const [year, week] = label.split('-W');
  return { week: Number(week), year: Number(year) };
}

export default function DashboardPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const dash = useApiQuery(key('analytics', 'DashboardPage.dash'), () =>
    call(api.GET('/api/v1/analytics/dashboard')),
  );

  const d = dash.data;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('dashboard.title')}</Title>
        {dash.updatedAt && (
          <Text size="xs" c="dimmed">
            {t('dashboard.refreshed', { time: dash.updatedAt.toLocaleTimeString(f.locale) })}
          </Text>
        )}
      </Group>
      <ProblemAlert error={dash.error} />
      {d && (
        <>
          <SimpleGrid cols={{ base: 1, xs: 3 }}>
            <Stat label={t('dashboard.openTasks')} value={f.number(d.totals.openTasks)} testId="open-tasks" />
            <Stat
              label={t('dashboard.completed30')}
              value={f.number(d.totals.tasksCompletedLast30Days)}
              testId="completed-30"
            />
            <Stat label={t('dashboard.overdue')} value={f.number(d.overdueTasks.count)} testId="overdue" />
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <Card withBorder>
              <Title order={4} mb="sm">
                {t('dashboard.projectsByStatus')}
              </Title>
              <ProjectsByStatus counts={d.projectsByStatus} />
            </Card>
            <Card withBorder>
              <Title order={4} mb="sm">
                {t('dashboard.tasksPerWeek')}
              </Title>
              <ChartOrEmpty>
                <BarChart
                  h={220}
                  data={d.tasksCompletedPerWeek.map((w) => ({
                    week: t('dashboard.week', isoWeek(w.isoWeek)),
                    weekLong: t('dashboard.weekLong', isoWeek(w.isoWeek)),
                    completed: w.completed,
                  }))}
                  dataKey="week"
                  series={[{ name: 'completed', label: t('tasks.status.completed'), color: 'teal.6' }]}
                  yAxisProps={{ allowDecimals: false }}
                  tooltipProps={{
                    labelFormatter: (_label, payload) => payload?.[0]?.payload?.weekLong ?? _label,
                  }}
                />
              </ChartOrEmpty>
            </Card>
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <Card withBorder>
              <Title order={4} mb="sm">
                {t('dashboard.overdue')}
              </Title>
              {d.overdueTasks.items.length === 0 ? (
                <Text c="dimmed">{t('dashboard.nothingOverdue')}</Text>
              ) : (
                <Stack gap={4}>
                  {d.overdueTasks.items.map((o) => (
                    <Group key={o.id} justify="space-between" wrap="nowrap">
                      <Anchor component={Link} to={`/tasks/${o.id}`} size="sm" truncate>
                        {o.title}
                      </Anchor>
                      <Text size="xs" c="red">
                        {t('dashboard.daysOverdue', { count: o.daysOverdue })}
                      </Text>
                    </Group>
                  ))}
                </Stack>
              )}
            </Card>
            <Card withBorder>
              <Title order={4} mb="sm">
                {t('dashboard.activity')}
              </Title>
              <WideTable minWidth={300}>
                <Table>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>{t('common.name')}</Table.Th>
                      <Table.Th ta="right">{t('dashboard.events')}</Table.Th>
                      <Table.Th ta="right">{t('dashboard.tasksCompleted')}</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {d.activityPerUser.map((u) => (
                      <Table.Tr key={u.userId}>
                        <Table.Td>{u.name}</Table.Td>
                        <Table.Td ta="right">{f.number(u.events)}</Table.Td>
                        <Table.Td ta="right">{f.number(u.tasksCompleted)}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </WideTable>
            </Card>
          </SimpleGrid>
        </>
      )}
    </Stack>
  );
}

function Stat({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <Card withBorder>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={700} fz="xl" data-testid={testId}>
        {value}
      </Text>
    </Card>
  );
}

/** The projects of each status: a ring with the counts on it, the total inside, and a legend. */
function ProjectsByStatus({ counts }: { counts: Record<ProjectStatus, number> }) {
  const { t } = useTranslation();
  const f = useFormat();
  const total = STATUSES.reduce((sum, s) => sum + counts[s], 0);
  if (total === 0) return <EmptyChart h={200} />;
  return (
    <Stack gap="xs" align="center">
      <DonutChart
        data={STATUSES.filter((s) => counts[s] > 0).map((s) => ({
          name: t(`projects.status.${s}`),
          value: counts[s],
          color: STATUS_COLORS[s],
        }))}
        withLabels
        withLabelsLine
        chartLabel={f.number(total)}
        valueFormatter={(v) => f.number(v)}
        tooltipDataSource="segment"
        mx="auto"
      />
      <Group component="ul" gap="md" justify="center" m={0} p={0} style={{ listStyle: 'none' }}>
        {STATUSES.map((s) => (
          <Group component="li" key={s} gap={6} wrap="nowrap" data-status={s}>
            <ColorSwatch color={cssColor(STATUS_COLORS[s])} size={12} withShadow={false} />
            <Text size="sm">
              {t(`projects.status.${s}`)}: {f.number(counts[s])}
            </Text>
          </Group>
        ))}
      </Group>
    </Stack>
  );
}
