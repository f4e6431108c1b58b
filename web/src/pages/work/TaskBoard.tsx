// A project's tasks as a board by status (or a list); moves go through the API, which keeps
// completedAt in step and refuses moves its transition table does not allow.
import { Alert, Anchor, Badge, Group, SegmentedControl, Stack, Table, Text } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, call, ifMatch } from '../../api/client.ts';
import type { Task, TaskStatus } from '../../api/types.ts';
import { ExportMenu } from '../../components/ExportMenu.tsx';
import { moveOptimistically } from '../../components/moveOptimistically.ts';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { StatusBoard } from '../../components/StatusBoard.tsx';
import { WideTable } from '../../components/WideTable.tsx';
import { useFormat } from '../../format/useFormat.ts';
import { moveRefusal } from './moveRefusal.ts';

const STATUSES: readonly TaskStatus[] = ['pending', 'active', 'completed', 'cancelled'];

export function TaskBoard(props: {
  projectId: string;
  tasks: Task[];
  setTasks: (update: (prev: Task[]) => Task[]) => void;
  memberName: (userId: string | null) => string;
  onChanged: () => void;
}) {
  const { t } = useTranslation();
  const f = useFormat();
  const [view, setView] = useState<'board' | 'list'>('board');
  const [refusal, setRefusal] = useState<{ title: string; message: string } | null>(null);

  const move = async (task: Task, to: TaskStatus) => {
    setRefusal(null);
    const outcome = await moveOptimistically({
      setItems: props.setTasks,
      item: task,
      moved: { ...task, status: to },
      save: () =>
        call(
          api.PATCH('/api/v1/tasks/{id}', {
            params: { path: { id: task.id } },
            headers: ifMatch(task.version),
            body: { status: to },
          }),
        ),
    });
    if (outcome.ok) props.onChanged();
    else setRefusal(moveRefusal(outcome.error, 'tasks', task.status, t));
  };

  return (
    <Stack>
      <Group justify="space-between">
        <SegmentedControl
          aria-label={t('projects.view')}
          value={view}
          onChange={(v) => setView(v as 'board' | 'list')}
          data={[
            { value: 'board', label: t('projects.board') },
            { value: 'list', label: t('projects.list') },
          ]}
        />
        <ExportMenu path="/api/v1/tasks/export" query={{ projectId: props.projectId }} />
      </Group>
      {refusal && (
        <Alert
          color="orange"
          title={refusal.title}
          withCloseButton
          onClose={() => setRefusal(null)}
          role="alert"
        >
          {refusal.message}
        </Alert>
      )}
      {view === 'board' ? (
        <>
          <Text size="xs" c="dimmed">
            {t('tasks.dragHint')}
          </Text>
          <StatusBoard
            label={t('projects.tasks')}
            columns={STATUSES}
            items={props.tasks}
            columnLabel={(s) => t(`tasks.status.${s}`)}
            cardLabel={(task) => task.title}
            onMove={(task, to) => void move(task, to)}
            renderCard={(task) => (
              <Stack gap={4}>
                <Anchor component={Link} to={`/tasks/${task.id}`} size="sm" fw={600}>
                  {task.title}
                </Anchor>
                <Group gap={4}>
                  <Badge size="xs" variant="outline">
                    {t(`tasks.priorityValue.${task.priority}`)}
                  </Badge>
                  <Text size="xs" c="dimmed">
                    {props.memberName(task.assigneeId)}
                  </Text>
                </Group>
              </Stack>
            )}
          />
        </>
      ) : (
        <WideTable minWidth={560}>
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('tasks.title')}</Table.Th>
                <Table.Th>{t('common.status')}</Table.Th>
                <Table.Th>{t('tasks.priority')}</Table.Th>
                <Table.Th>{t('tasks.assignee')}</Table.Th>
                <Table.Th>{t('tasks.dueDate')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {props.tasks.map((task) => (
                <Table.Tr key={task.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/tasks/${task.id}`}>
                      {task.title}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    <StatusBadge kind="tasks" status={task.status} />
                  </Table.Td>
                  <Table.Td>{t(`tasks.priorityValue.${task.priority}`)}</Table.Td>
                  <Table.Td>{props.memberName(task.assigneeId)}</Table.Td>
                  <Table.Td>{f.day(task.dueDate)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </WideTable>
      )}
    </Stack>
  );
}
