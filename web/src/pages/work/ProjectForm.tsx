// Create a project: name, client, budget in the organization's currency, dates.
import { Button, Group, NumberInput, Stack, Textarea, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { key, useApiQuery } from '../../api/queries.ts';
import type { Project } from '../../api/types.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { clientOptions, RemoteSelect } from '../../components/RemoteSelect.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { useFormat } from '../../format/useFormat.ts';

export function ProjectForm({ onCreated }: { onCreated: (p: Project) => void }) {
  const { t } = useTranslation();
  const f = useFormat();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [clientId, setClientId] = useState<string | null>(null);
  const [budget, setBudget] = useState<number | string>('');
  const [startDate, setStartDate] = useState('');
  const [dueDate, setDueDate] = useState('');
  const org = useApiQuery(key('organization', 'ProjectForm.org'), () =>
    call(api.GET('/api/v1/organization')),
  );
  const currency = org.data?.currency ?? 'USD';

  const submit = useSubmit(async () => {
    const created = await call(
      api.POST('/api/v1/projects', {
        body: {
          name,
          description,
          clientId,
          budgetMinor: budget === '' ? null : f.toMinor(Number(budget), currency),
          startDate: startDate || null,
          dueDate: dueDate || null,
        },
      }),
    );
    onCreated(created);
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  return (
    <form onSubmit={onSubmit} noValidate>
      <Stack>
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
            {t('common.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
