// Create a project (name, client, budget in the organization's currency, dates, description), or
// change one; a project being changed that someone else changes or deletes meanwhile gets a notice.
import { Button, Group, NumberInput, Stack, Textarea, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, ifMatch } from '../../api/client.ts';
import { key, useApiQuery } from '../../api/queries.ts';
import type { Project } from '../../api/types.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { clientOptions, RemoteSelect } from '../../components/RemoteSelect.tsx';
import { StaleNotice } from '../../components/StaleNotice.tsx';
import { useEditStart } from '../../components/useEditStart.ts';
import { useStaleNotice } from '../../components/useStaleNotice.ts';
import { useSubmit } from '../../components/useSubmit.ts';
import { useFormat } from '../../format/useFormat.ts';

interface ProjectFormProps {
  /** The project to change; without it the form creates one. */
  project?: Project;
  /** Called with the created or changed project. */
  onCreated: (p: Project) => void;
}

export function ProjectForm(props: ProjectFormProps) {
  const start = useEditStart(props.project);
  return <ProjectFields key={start.key} {...props} project={start.record} onLoadLatest={start.restart} />;
}

function ProjectFields({
  project,
  onCreated,
  onLoadLatest,
}: ProjectFormProps & { onLoadLatest: (latest: Project) => void }) {
  const { t } = useTranslation();
  const f = useFormat();
  const org = useApiQuery(key('organization', 'ProjectForm.org'), () =>
    call(api.GET('/api/v1/organization')),
  );
  const currency = project?.currency ?? org.data?.currency ?? 'USD';
  const [name, setName] = useState(project?.name ?? '');
  const [description, setDescription] = useState(project?.description ?? '');
  const [clientId, setClientId] = useState<string | null>(project?.clientId ?? null);
  const [budget, setBudget] = useState<number | string>(
    project?.budgetMinor != null ? f.toMajor(project.budgetMinor, currency) : '',
  );
  const [startDate, setStartDate] = useState(project?.startDate ?? '');
  const [dueDate, setDueDate] = useState(project?.dueDate ?? '');

  const submit = useSubmit(async () => {
    const body = {
      name,
      description,
      clientId,
      budgetMinor: budget === '' ? null : f.toMinor(Number(budget), currency),
      startDate: startDate || null,
      dueDate: dueDate || null,
    };
    const saved = project
      ? await call(
          api.PATCH('/api/v1/projects/{id}', {
            params: { path: { id: project.id } },
            headers: ifMatch(project.version),
            body,
          }),
        )
      : await call(api.POST('/api/v1/projects', { body }));
    onCreated(saved);
  });
  const stale = useStaleNotice({
    subject: 'project',
    id: project?.id,
    version: project?.version,
    load: () => call(api.GET('/api/v1/projects/{id}', { params: { path: { id: project?.id ?? '' } } })),
    saving: submit.busy,
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  return (
    <form onSubmit={onSubmit} noValidate>
      <Stack>
        <StaleNotice subject="project" stale={stale} onLoadLatest={onLoadLatest} />
        <ProblemAlert error={submit.formError} />
        <TextInput
          label={t('common.name')}
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={submit.fieldError('name')}
          required
          data-autofocus
        />
        <RemoteSelect
          label={t('projects.client')}
          placeholder={t('projects.noClient')}
          source={clientOptions}
          value={clientId}
          onChange={setClientId}
          error={submit.fieldError('clientId')}
          clearable
        />
        <NumberInput
          label={`${t('projects.budget')} (${currency})`}
          value={budget}
          onChange={setBudget}
          min={0}
          decimalScale={2}
          error={submit.fieldError('budgetMinor')}
        />
        <Group grow>
          <TextInput
            type="date"
            label={t('projects.startDate')}
            value={startDate}
            onChange={(e) => setStartDate(e.currentTarget.value)}
            error={submit.fieldError('startDate')}
          />
          <TextInput
            type="date"
            label={t('projects.dueDate')}
            value={dueDate}
            onChange={(e) => setDueDate(e.currentTarget.value)}
            error={submit.fieldError('dueDate')}
          />
        </Group>
        <Textarea
          label={t('projects.description')}
          value={description}
          onChange={(e) => setDescription(e.currentTarget.value)}
          error={submit.fieldError('description')}
          autosize
          minRows={2}
        />
        <Group justify="flex-end">
          <Button type="submit" loading={submit.busy}>
            {project ? t('common.save') : t('common.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
