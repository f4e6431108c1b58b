// One task: its fields and status (and a form to change them), comments, time logged against the
// estimate, attachments.
import {
  Anchor,
  Badge,
  Button,
  Card,
  FileButton,
  Grid,
  Group,
  NumberInput,
  Select,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, call, ifMatch } from '../../api/client.ts';
import { key, useApiQuery } from '../../api/queries.ts';
import type { Task, TaskStatus } from '../../api/types.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { useFormat } from '../../format/useFormat.ts';
import { useSession } from '../../session/SessionProvider.tsx';
import { moveRefusal } from './moveRefusal.ts';
import { TaskForm } from './TaskForm.tsx';

const STATUSES: readonly TaskStatus[] = ['pending', 'active', 'completed', 'cancelled'];

export default function TaskDetailPage() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const f = useFormat();
  const task = useApiQuery(key('tasks', 'TaskDetailPage.task', id), () =>
    call(api.GET('/api/v1/tasks/{id}', { params: { path: { id } } })),
  );
  const { can } = useSession();
  const [refusal, setRefusal] = useState<{ title: string; message: string } | null>(null);
  // The edit form's record: what it was opened (or last saved, or reloaded) with, apart from the
  // live task above it, so a change elsewhere does not wipe what is being typed. `round` remounts
  // the form when it loads the latest values.
  const [editing, setEditing] = useState<{ task: Task; round: number } | null>(null);

  const setStatus = useSubmit(async (to: TaskStatus) => {
    const current = task.data;
    if (!current) return;
    setRefusal(null);
    try {
      const saved = await call(
        api.PATCH('/api/v1/tasks/{id}', {
          params: { path: { id } },
          headers: ifMatch(current.version),
          body: { status: to },
        }),
      );
      task.setData(saved);
      // This page's own status change leaves an open form current (it edits no status), unless
      // the form was already behind.
      setEditing((e) =>
        e && e.task.version === current.version ? { ...e, task: { ...e.task, version: saved.version } } : e,
      );
    } catch (err) {
      setRefusal(moveRefusal(err, 'tasks', current.status, t));
    }
  });

  if (task.error) return <ProblemAlert error={task.error} />;
  const x = task.data;
  if (!x) return null;
  return (
    <Stack>
      <Anchor component={Link} to={`/projects/${x.projectId}`} size="sm">
        ← {t('projects.open')}
      </Anchor>
      <Group justify="space-between">
        <Title order={2}>{x.title}</Title>
        <Group gap="xs">
          {can('tasks:manage') && !editing && (
            <Button variant="default" onClick={() => setEditing({ task: x, round: 0 })}>
              {t('tasks.edit')}
            </Button>
          )}
          <Select
            aria-label={t('common.status')}
            data={STATUSES.map((s) => ({ value: s, label: t(`tasks.status.${s}`) }))}
            value={x.status}
            onChange={(v) => v && void setStatus.run(v as TaskStatus)}
            allowDeselect={false}
            w={180}
          />
        </Group>
      </Group>
      {refusal && (
        <Text c="orange" role="alert">
          {refusal.title}: {refusal.message}
        </Text>
      )}
      <Group gap="xs">
        <Badge variant="outline">{t(`tasks.priorityValue.${x.priority}`)}</Badge>
        <Text size="sm" c="dimmed">
          {t('tasks.dueDate')}: {f.day(x.dueDate)}
        </Text>
        {x.tags.map((tag) => (
          <Badge key={tag} variant="light">
            {tag}
          </Badge>
        ))}
      </Group>
      {x.description && <Text style={{ whiteSpace: 'pre-wrap' }}>{x.description}</Text>}
      {editing && (
        <Card withBorder>
          <Group justify="space-between" mb="sm">
            <Title order={4}>{t('tasks.edit')}</Title>
            <Button variant="subtle" size="xs" onClick={() => setEditing(null)}>
              {t('common.close')}
            </Button>
          </Group>
          <TaskForm
            key={editing.round}
            task={editing.task}
            onSaved={(saved) => {
              task.setData(saved);
              setEditing((e) => e && { ...e, task: saved });
            }}
            onLoadLatest={(latest) => {
              task.setData(latest);
              setEditing((e) => ({ task: latest, round: (e?.round ?? 0) + 1 }));
            }}
            savingElsewhere={setStatus.busy}
          />
        </Card>
      )}
      <Grid>
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Comments taskId={id} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Stack>
            <TimeEntries taskId={id} />
            <Attachments taskId={id} />
          </Stack>
        </Grid.Col>
      </Grid>
    </Stack>
  );
}

function Comments({ taskId }: { taskId: string }) {
  const { t } = useTranslation();
  const f = useFormat();
  const [body, setBody] = useState('');
  const list = useApiQuery(
    key('comments', 'TaskDetailPage.list', taskId),
    async () =>
      (await call(api.GET('/api/v1/tasks/{id}/comments', { params: { path: { id: taskId } } }))).items,
  );
  const post = useSubmit(async () => {
    await call(api.POST('/api/v1/tasks/{id}/comments', { params: { path: { id: taskId } }, body: { body } }));
    setBody('');
    await list.reload();
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void post.run();
  };
  return (
    <Card withBorder>
      <Title order={4} mb="sm">
        {t('tasks.comments')}
      </Title>
      <Stack gap="sm">
        {(list.data ?? []).map((c) => (
          <Card key={c.id} withBorder p="xs">
            <Text size="xs" c="dimmed">
              {c.authorName ?? '—'} · {f.dateTime(c.createdAt)}
            </Text>
            <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
              {c.body}
            </Text>
          </Card>
        ))}
        <form onSubmit={onSubmit} noValidate>
          <Stack gap="xs">
            <ProblemAlert error={post.formError} />
            <Textarea
              aria-label={t('tasks.newComment')}
              placeholder={t('tasks.newComment')}
              value={body}
              onChange={(e) => setBody(e.currentTarget.value)}
              error={post.fieldError('body')}
              autosize
              minRows={2}
            />
            <Group justify="flex-end">
              <Button type="submit" loading={post.busy}>
                {t('tasks.postComment')}
              </Button>
            </Group>
          </Stack>
        </form>
      </Stack>
    </Card>
  );
}

function TimeEntries({ taskId }: { taskId: string }) {
  const { t } = useTranslation();
  const f = useFormat();
  const [minutes, setMinutes] = useState<number | string>('');
  const [spentOn, setSpentOn] = useState(new Date().toISOString().slice(0, 10));
  const list = useApiQuery(key('tasks', 'TaskDetailPage.time', taskId), () =>
    call(api.GET('/api/v1/tasks/{id}/time-entries', { params: { path: { id: taskId } } })),
  );
  const log = useSubmit(async () => {
    await call(
      api.POST('/api/v1/tasks/{id}/time-entries', {
        params: { path: { id: taskId } },
        body: { spentOn, minutes: Number(minutes || 0) },
      }),
    );
    setMinutes('');
    await list.reload();
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void log.run();
  };
  return (
    <Card withBorder>
      <Title order={4} mb="sm">
        {t('tasks.time')}
      </Title>
      <Text size="sm" mb="xs">
        {t('tasks.totalTime', { minutes: f.number(list.data?.totalMinutes ?? 0) })}
        {list.data?.estimateMinutes ? ` / ${f.number(list.data.estimateMinutes)}` : ''}
      </Text>
      <Table>
        <Table.Tbody>
          {(list.data?.items ?? []).map((e) => (
            <Table.Tr key={e.id}>
              <Table.Td>{f.day(e.spentOn)}</Table.Td>
              <Table.Td ta="right">{f.number(e.minutes)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <form onSubmit={onSubmit} noValidate>
        <Group align="flex-end" gap="xs" mt="xs">
          <TextInput
            type="date"
            label={t('tasks.spentOn')}
            value={spentOn}
            onChange={(e) => setSpentOn(e.currentTarget.value)}
            error={log.fieldError('spentOn')}
          />
          <NumberInput
            label={t('tasks.minutes')}
            value={minutes}
            onChange={setMinutes}
            min={1}
            max={1440}
            allowDecimal={false}
            w={110}
            error={log.fieldError('minutes')}
          />
          <Button type="submit" variant="light" loading={log.busy}>
            {t('tasks.logTime')}
          </Button>
        </Group>
        <ProblemAlert error={log.formError} />
      </form>
    </Card>
  );
}

function Attachments({ taskId }: { taskId: string }) {
  const { t } = useTranslation();
  const f = useFormat();
  const list = useApiQuery(
    key('tasks', 'TaskDetailPage.attachments', taskId),
    async () =>
      (await call(api.GET('/api/v1/tasks/{id}/attachments', { params: { path: { id: taskId } } }))).items,
  );
  const upload = useSubmit(async (file: File | null) => {
    if (!file) return;
    const form = new FormData();
    form.append('file', file);
    await call(
      api.POST('/api/v1/tasks/{id}/attachments', {
        params: { path: { id: taskId } },
        // multipart: the browser sets the boundary
        body: form as never,
        bodySerializer: (b: unknown) => b as FormData,
      }),
    );
    await list.reload();
  });
  return (
    <Card withBorder>
      <Title order={4} mb="sm">
        {t('tasks.attachments')}
      </Title>
      <Stack gap="xs">
        {(list.data ?? []).map((a) => (
          <Anchor key={a.id} href={`/api/v1/tasks/${taskId}/attachments/${a.id}`} size="sm">
            {a.fileName} ({f.number(Math.ceil(a.sizeBytes / 1024))} KB)
          </Anchor>
        ))}
        <ProblemAlert error={upload.error} />
        <FileButton onChange={(file) => void upload.run(file)}>
          {(props) => (
            <Button {...props} variant="light" loading={upload.busy}>
              {t('tasks.upload')}
            </Button>
          )}
        </FileButton>
      </Stack>
    </Card>
  );
}
