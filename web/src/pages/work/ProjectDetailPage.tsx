// One project: its numbers, budget against spent, tasks (board or list), milestones, expenses;
// a form to change its details.
import { BarChart } from '@mantine/charts';
import '@mantine/charts/styles.css';
import {
  Button,
  Card,
  Checkbox,
  Group,
  Modal,
  NumberInput,
  Progress,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { api, call, ifMatch } from '../../api/client.ts';
import { key, useApiQuery, usePagedQuery } from '../../api/queries.ts';
import { ChartOrEmpty } from '../../components/ChartOrEmpty.tsx';
import { moneyAxis } from '../../components/chartAxes.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { memberOptions, useNames } from '../../components/RemoteSelect.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { WideTable } from '../../components/WideTable.tsx';
import { useFormat } from '../../format/useFormat.ts';
import { useSession } from '../../session/SessionProvider.tsx';
import { ProjectForm } from './ProjectForm.tsx';
import { TaskBoard } from './TaskBoard.tsx';
import { TaskForm } from './TaskForm.tsx';

export default function ProjectDetailPage() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const f = useFormat();
  const { can } = useSession();
  const project = useApiQuery(key('projects', 'ProjectDetailPage.project', id), () =>
    call(api.GET('/api/v1/projects/{id}', { params: { path: { id } } })),
  );
  // Every task of the project, a page at a time (a project may have thousands).
  const tasks = usePagedQuery(key('tasks', 'project', id), (cursor) =>
    call(
      api.GET('/api/v1/tasks', {
        params: { query: { projectId: id, limit: 200, sort: 'createdAt', ...(cursor ? { cursor } : {}) } },
      }),
    ),
  );
  const names = useNames(
    memberOptions,
    tasks.items.map((task) => task.assigneeId),
  );
  const memberName = (userId: string | null) => names(userId) ?? t('tasks.unassigned');
  const [editing, setEditing] = useState(false);

  if (project.error) return <ProblemAlert error={project.error} />;
  const p = project.data;
  if (!p) return null;

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{p.name}</Title>
        <Group gap="xs">
          {can('projects:manage') && (
            <Button variant="default" onClick={() => setEditing(true)}>
              {t('projects.edit')}
            </Button>
          )}
          <StatusBadge kind="projects" status={p.status} />
        </Group>
      </Group>
      <Modal opened={editing} onClose={() => setEditing(false)} title={t('projects.edit')}>
        {editing && (
          <ProjectForm
            project={p}
            onCreated={(saved) => {
              project.setData(saved);
              setEditing(false);
            }}
          />
        )}
      </Modal>
      {p.description && <Text>{p.description}</Text>}
      <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }}>
        <Card withBorder>
          <Text size="xs" c="dimmed">
            {t('projects.progress')}
          </Text>
          <Text fw={700}>{f.percent(p.progress / 100)}</Text>
          <Progress value={p.progress} size="sm" mt={4} aria-label={t('projects.progress')} />
        </Card>
        <Card withBorder>
          <Text size="xs" c="dimmed">
            {t('projects.budget')}
          </Text>
          <Text fw={700}>{f.money(p.budgetMinor, p.currency)}</Text>
        </Card>
        <Card withBorder>
          <Text size="xs" c="dimmed">
            {t('projects.spent')}
          </Text>
          <Text fw={700}>{f.money(p.spentMinor, p.currency)}</Text>
        </Card>
        <Card withBorder>
          <Text size="xs" c="dimmed">
            {t('projects.dueDate')}
          </Text>
          <Text fw={700}>{f.day(p.dueDate)}</Text>
        </Card>
      </SimpleGrid>
      <Card withBorder>
        <Title order={4} mb="sm">
          {t('projects.tasks')}
        </Title>
        <Stack>
          {can('tasks:manage') && (
            <TaskForm
              projectId={id}
              onCreated={(task) => {
                tasks.setItems((prev) => [...prev, task]);
                void project.reload();
              }}
            />
          )}
          <TaskBoard
            projectId={id}
            tasks={tasks.items}
            setTasks={tasks.setItems}
            memberName={memberName}
            onChanged={() => void project.reload()}
          />
          <ProblemAlert error={tasks.error} />
          {tasks.more.hasMore && (
            <Button variant="default" onClick={() => void tasks.more.run()} loading={tasks.more.busy}>
              {t('common.loadMore')}
            </Button>
          )}
        </Stack>
      </Card>
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        <Card withBorder>
          <Title order={4} mb="sm">
            {t('projects.budgetChart')}
          </Title>
          <ChartOrEmpty>
            <BarChart
              h={180}
              data={[
                {
                  label: p.currency,
                  budget: f.toMajor(p.budgetMinor ?? 0, p.currency),
                  spent: f.toMajor(p.spentMinor, p.currency),
                },
              ]}
              dataKey="label"
              series={[
                { name: 'budget', label: t('projects.budget'), color: 'indigo.6' },
                {
                  name: 'spent',
                  label: t('projects.spent'),
                  color: p.remainingMinor !== null && p.remainingMinor < 0 ? 'red.6' : 'teal.6',
                },
              ]}
              valueFormatter={(v) => f.money(f.toMinor(v, p.currency), p.currency)}
              yAxisProps={moneyAxis(f, p.currency)}
              withLegend
            />
          </ChartOrEmpty>
        </Card>
        <Milestones projectId={id} canManage={can('projects:manage')} />
        <Expenses
          projectId={id}
          currency={p.currency}
          canManage={can('projects:manage')}
          onChanged={() => void project.reload()}
        />
      </SimpleGrid>
    </Stack>
  );
}

function Milestones({ projectId, canManage }: { projectId: string; canManage: boolean }) {
  const { t } = useTranslation();
  const f = useFormat();
  const [name, setName] = useState('');
  const [dueDate, setDueDate] = useState('');
  const list = useApiQuery(
    key('milestones', 'ProjectDetailPage.list', projectId),
    async () =>
      (await call(api.GET('/api/v1/projects/{id}/milestones', { params: { path: { id: projectId } } })))
        .items,
  );
  const add = useSubmit(async () => {
    await call(
      api.POST('/api/v1/projects/{id}/milestones', {
        params: { path: { id: projectId } },
        body: { name, dueDate: dueDate || null },
      }),
    );
    setName('');
    setDueDate('');
    await list.reload();
  });
  const toggle = useSubmit(async (m: { id: string; version: number; done: boolean }) => {
    await call(
      api.PATCH('/api/v1/projects/{id}/milestones/{childId}', {
        params: { path: { id: projectId, childId: m.id } },
        headers: ifMatch(m.version),
        body: { done: !m.done },
      }),
    );
    await list.reload();
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void add.run();
  };
  return (
    <Card withBorder>
      <Title order={4} mb="sm">
        {t('projects.milestones')}
      </Title>
      <Stack gap="xs">
        <ProblemAlert error={toggle.error} />
        {(list.data ?? []).map((m) => (
          <Checkbox
            key={m.id}
            checked={m.done}
            disabled={!canManage}
            onChange={() => void toggle.run(m)}
            label={`${m.name} · ${f.day(m.dueDate)}`}
          />
        ))}
        {canManage && (
          <form onSubmit={onSubmit} noValidate>
            <Stack gap="xs">
              <ProblemAlert error={add.formError} />
              <TextInput
                label={t('milestones.name')}
                value={name}
                onChange={(e) => setName(e.currentTarget.value)}
                error={add.fieldError('name')}
              />
              <TextInput
                type="date"
                label={t('milestones.due')}
                value={dueDate}
                onChange={(e) => setDueDate(e.currentTarget.value)}
                error={add.fieldError('dueDate')}
              />
              <Button type="submit" variant="light" loading={add.busy}>
                {t('milestones.new')}
              </Button>
            </Stack>
          </form>
        )}
      </Stack>
    </Card>
  );
}

function Expenses(props: { projectId: string; currency: string; canManage: boolean; onChanged: () => void }) {
  const { t } = useTranslation();
  const f = useFormat();
  const [spentOn, setSpentOn] = useState(new Date().toISOString().slice(0, 10));
  const [amount, setAmount] = useState<number | string>('');
  const [category, setCategory] = useState('');
  const list = useApiQuery(
    key('expenses', 'ProjectDetailPage.list', props.projectId),
    async () =>
      (await call(api.GET('/api/v1/projects/{id}/expenses', { params: { path: { id: props.projectId } } })))
        .items,
  );
  const add = useSubmit(async () => {
    await call(
      api.POST('/api/v1/projects/{id}/expenses', {
        params: { path: { id: props.projectId } },
        body: { spentOn, category, amountMinor: f.toMinor(Number(amount || 0), props.currency) },
      }),
    );
    setAmount('');
    setCategory('');
    await list.reload();
    props.onChanged();
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void add.run();
  };
  return (
    <Card withBorder>
      <Title order={4} mb="sm">
        {t('projects.expenses')}
      </Title>
      <WideTable minWidth={280}>
        <Table>
          <Table.Tbody>
            {(list.data ?? []).map((x) => (
              <Table.Tr key={x.id}>
                <Table.Td>{f.day(x.spentOn)}</Table.Td>
                <Table.Td>{x.category}</Table.Td>
                <Table.Td ta="right">{f.money(x.amountMinor, x.currency)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </WideTable>
      {props.canManage && (
        <form onSubmit={onSubmit} noValidate>
          <Stack gap="xs" mt="sm">
            <ProblemAlert error={add.formError} />
            <TextInput
              type="date"
              label={t('expenses.date')}
              value={spentOn}
              onChange={(e) => setSpentOn(e.currentTarget.value)}
              error={add.fieldError('spentOn')}
            />
            <NumberInput
              label={`${t('expenses.amount')} (${props.currency})`}
              value={amount}
              onChange={setAmount}
              min={0}
              decimalScale={2}
              error={add.fieldError('amountMinor')}
            />
            <TextInput
              label={t('expenses.category')}
              value={category}
              onChange={(e) => setCategory(e.currentTarget.value)}
              error={add.fieldError('category')}
            />
            <Button type="submit" variant="light" loading={add.busy}>
              {t('expenses.new')}
            </Button>
          </Stack>
        </form>
      )}
    </Card>
  );
}
