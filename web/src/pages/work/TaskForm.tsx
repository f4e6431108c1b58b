// Create a task in a project: title, assignee (a member), priority, due date, estimate.
import { Button, Group, NumberInput, Select, Stack, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import type { Task } from '../../api/types.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { memberOptions, RemoteSelect } from '../../components/RemoteSelect.tsx';
import { useSubmit } from '../../components/useSubmit.ts';

const PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
type Priority = (typeof PRIORITIES)[number];

export function TaskForm(props: { projectId: string; onCreated: (t: Task) => void }) {
  const { t } = useTranslation();
  const [title, setTitle] = useState('');
  const [assigneeId, setAssigneeId] = useState<string | null>(null);
  const [priority, setPriority] = useState<Priority>('medium');
  const [dueDate, setDueDate] = useState('');
  const [estimate, setEstimate] = useState<number | string>('');

  const submit = useSubmit(async () => {
    const created = await call(
      api.POST('/api/v1/tasks', {
        body: {
          projectId: props.projectId,
          title,
          assigneeId,
          priority,
          dueDate: dueDate || null,
          estimateMinutes: estimate === '' ? null : Number(estimate),
        },
      }),
    );
    setTitle('');
    props.onCreated(created);
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  return (
    <form onSubmit={onSubmit} noValidate aria-label={t('tasks.new')}>
      <Stack gap="xs">
        <ProblemAlert error={submit.formError} />
        <TextInput
          label={t('tasks.title')}
          value={title}
          onChange={(e) => setTitle(e.currentTarget.value)}
          error={submit.fieldError('title')}
          required
        />
        <Group grow align="flex-start">
          <RemoteSelect
            label={t('tasks.assignee')}
            placeholder={t('tasks.unassigned')}
            source={memberOptions}
            value={assigneeId}
            onChange={setAssigneeId}
            error={submit.fieldError('assigneeId')}
            clearable
          />
          <Select
            label={t('tasks.priority')}
            data={PRIORITIES.map((p) => ({ value: p, label: t(`tasks.priorityValue.${p}`) }))}
            value={priority}
            onChange={(v) => v && setPriority(v as Priority)}
            allowDeselect={false}
          />
        </Group>
        <Group grow align="flex-start">
          <TextInput
            type="date"
            label={t('tasks.dueDate')}
            value={dueDate}
            onChange={(e) => setDueDate(e.currentTarget.value)}
            error={submit.fieldError('dueDate')}
          />
          <NumberInput
            label={t('tasks.estimate')}
            value={estimate}
            onChange={setEstimate}
            min={0}
            allowDecimal={false}
            error={submit.fieldError('estimateMinutes')}
          />
        </Group>
        <Group justify="flex-end">
          <Button type="submit" loading={submit.busy}>
            {t('tasks.new')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
