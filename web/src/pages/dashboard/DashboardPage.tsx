// The organization's dashboard: projects by status, tasks completed per week, overdue tasks and
// activity per member, refreshed on its own every 30 seconds.
import { BarChart, DonutChart } from '@mantine/charts';
import '@mantine/charts/styles.css';
import { Anchor, Card, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useInterval } from '@mantine/hooks';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, call } from '../../api/client.ts';
import type { ProjectStatus } from '../../api/types.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useLoad } from '../../components/useLoad.ts';
import { WideTable } from '../../components/WideTable.tsx';
import { useFormat } from '../../format/useFormat.ts';

const REFRESH_SECONDS = 30;
const STATUS_COLORS: Record<ProjectStatus, string> = {
  planning: 'gray.5',
  active: 'indigo.6',
  on_hold: 'yellow.5',
  completed: 'teal.6',
  cancelled: 'red.5',
};

export default function DashboardPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const [loadedAt, setLoadedAt] = useState<Date | null>(null);
  const dash = useLoad(
    () => call(api.GET('/api/v1/analytics/dashboard')),
    [],
    () => setLoadedAt(new Date()),
  );
  const interval = useInterval(() => void dash.reload(), REFRESH_SECONDS * 1000);
  // biome-ignore lint/correctness/useExhaustiveDependencies: start once, stop on leave
  useEffect(() => {
    interval.start();
    return interval.stop;
  }, []);

  const d = dash.data;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('dashboard.title')}</Title>
        {loadedAt && (
          <Text size="xs" c="dimmed">
            {t('dashboard.refreshed', {
              time: loadedAt.toLocaleTimeString(f.locale),
              seconds: REFRESH_SECONDS,
            })}
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
              <DonutChart
                data={(Object.keys(STATUS_COLORS) as ProjectStatus[]).map((s) => ({
                  name: t(`projects.status.${s}`),
                  value: d.projectsByStatus[s],
                  color: STATUS_COLORS[s],
                }))}
                withLabelsLine={false}
                tooltipDataSource="segment"
                mx="auto"
              />
            </Card>
            <Card withBorder>
              <Title order={4} mb="sm">
                {t('dashboard.tasksPerWeek')}
              </Title>
              <BarChart
                h={220}
                data={d.tasksCompletedPerWeek.map((w) => ({
                  week: w.isoWeek.slice(5),
                  completed: w.completed,
                }))}
                dataKey="week"
                series={[{ name: 'completed', label: t('tasks.status.completed'), color: 'teal.6' }]}
                yAxisProps={{ allowDecimals: false }}
              />
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
