// Create a task in a project (title, assignee, priority, due date, estimate), or change one (the
// same fields and its description). An edit form stays open after saving, and says so when someone
// else changed or deleted the task since it was opened (useStaleNotice).
import { Button, Group, NumberInput, Select, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, ifMatch } from '../../api/client.ts';
import type { Task } from '../../api/types.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { memberOptions, RemoteSelect } from '../../components/RemoteSelect.tsx';
import { StaleNotice } from '../../components/StaleNotice.tsx';
import { useStaleNotice } from '../../components/useStaleNotice.ts';
import { useSubmit } from '../../components/useSubmit.ts';

const PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
type Priority = (typeof PRIORITIES)[number];

type TaskFormProps =
  | { projectId: string; onCreated: (t: Task) => void; task?: undefined }
  | {
      /** The task as the form edits it (its version is the one a save expects). */
      task: Task;
      onSaved: (t: Task) => void;
      /** Asked from the stale notice: the owner shows the form again on `latest`. */
      onLoadLatest: (latest: Task) => void;
      /** Another control of the page is saving this task (its own change is not someone else's). */
      savingElsewhere?: boolean;
    };

export function TaskForm(props: TaskFormProps) {
  const { t } = useTranslation();
  const editing = props.task;
  const [title, setTitle] = useState(editing?.title ?? '');
  const [assigneeId, setAssigneeId] = useState<string | null>(editing?.assigneeId ?? null);
  const [priority, setPriority] = useState<Priority>(editing?.priority ?? 'medium');
  const [dueDate, setDueDate] = useState(editing?.dueDate ?? '');
  const [estimate, setEstimate] = useState<number | string>(editing?.estimateMinutes ?? '');
  const [description, setDescription] = useState(editing?.description ?? '');
  const [saved, setSaved] = useState(false);

  const submit = useSubmit(async () => {
    const fields = {
      title,
      assigneeId,
      priority,
      dueDate: dueDate || null,
      estimateMinutes: estimate === '' ? null : Number(estimate),
    };
    if (props.task) {
      const id = props.task.id;
      const updated = await call(
        api.PATCH('/api/v1/tasks/{id}', {
          params: { path: { id } },
          headers: ifMatch(props.task.version),
          body: { ...fields, description },
        }),
      );
      setSaved(true);
      props.onSaved(updated);
      return;
    }
    const created = await call(
      api.POST('/api/v1/tasks', { body: { projectId: props.projectId, ...fields } }),
    );
    setTitle('');
    props.onCreated(created);
  });
  const stale = useStaleNotice({
    subject: 'task',
    id: editing?.id,
    version: editing?.version,
    load: () => call(api.GET('/api/v1/tasks/{id}', { params: { path: { id: editing?.id ?? '' } } })),
    saving: submit.busy || (props.task !== undefined && props.savingElsewhere === true),
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  // Any edit after a save makes "Saved." untrue.
  const edited =
    <V,>(set: (v: V) => void) =>
    (v: V) => {
      setSaved(false);
      set(v);
    };
  return (
    <form onSubmit={onSubmit} noValidate aria-label={editing ? t('tasks.edit') : t('tasks.new')}>
      <Stack gap="xs">
        {props.task && <StaleNotice subject="task" stale={stale} onLoadLatest={props.onLoadLatest} />}
        <ProblemAlert error={submit.formError} />
        <TextInput
          label={t('tasks.title')}
          value={title}
          onChange={(e) => edited(setTitle)(e.currentTarget.value)}
          error={submit.fieldError('title')}
          required
        />
        <Group grow align="flex-start">
          <RemoteSelect
            label={t('tasks.assignee')}
            placeholder={t('tasks.unassigned')}
            source={memberOptions}
            value={assigneeId}
            onChange={edited(setAssigneeId)}
            error={submit.fieldError('assigneeId')}
            clearable
          />
          <Select
            label={t('tasks.priority')}
            data={PRIORITIES.map((p) => ({ value: p, label: t(`tasks.priorityValue.${p}`) }))}
            value={priority}
            onChange={(v) => v && edited(setPriority)(v as Priority)}
            allowDeselect={false}
          />
        </Group>
        <Group grow align="flex-start">
          <TextInput
            type="date"
            label={t('tasks.dueDate')}
            value={dueDate}
            onChange={(e) => edited(setDueDate)(e.currentTarget.value)}
            error={submit.fieldError('dueDate')}
          />
          <NumberInput
            label={t('tasks.estimate')}
            value={estimate}
            onChange={edited(setEstimate)}
            min={0}
            allowDecimal={false}
            error={submit.fieldError('estimateMinutes')}
          />
        </Group>
        {editing && (
          <Textarea
            label={t('tasks.description')}
            value={description}
            onChange={(e) => edited(setDescription)(e.currentTarget.value)}
            error={submit.fieldError('description')}
            autosize
            minRows={2}
          />
        )}
        <Group justify="flex-end">
          {saved && (
            <Text size="sm" c="dimmed" role="status">
              {t('tasks.saved')}
            </Text>
          )}
          <Button type="submit" loading={submit.busy}>
            {editing ? t('common.save') : t('tasks.new')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
