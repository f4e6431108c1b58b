// Record satisfaction feedback: a score from 1 to 5 about a client, a project or both, with an
// optional comment and the day it was received.
import { Button, Group, Input, SegmentedControl, Stack, Textarea, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { clientOptions, projectOptions, RemoteSelect } from '../../components/RemoteSelect.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import type { Feedback } from './types.ts';
import type { useBook } from './useBook.ts';

export const SCORES = ['1', '2', '3', '4', '5'] as const;

export function FeedbackForm(props: { book: ReturnType<typeof useBook>; onCreated: (f: Feedback) => void }) {
  const { t } = useTranslation();
  const [clientId, setClientId] = useState<string | null>(null);
  const [projectId, setProjectId] = useState<string | null>(null);
  const [score, setScore] = useState('5');
  const [comment, setComment] = useState('');
  const [receivedOn, setReceivedOn] = useState(new Date().toISOString().slice(0, 10));
  const submit = useSubmit(async () => {
    const created = await call(
      api.POST('/api/v1/feedback', {
        body: { clientId, projectId, score: Number(score), comment, receivedOn },
      }),
    );
    props.onCreated(created);
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };

  return (
    <form onSubmit={onSubmit} noValidate aria-label={t('business.feedback.new')}>
      <Stack>
        <ProblemAlert error={submit.formError} />
        <RemoteSelect
          label={t('business.common.client')}
          description={t('business.feedback.aboutHint')}
          placeholder={t('business.common.noClient')}
          source={clientOptions}
          value={clientId}
          onChange={(v) => {
            setClientId(v);
            setProjectId(null);
          }}
          error={submit.fieldError('clientId')}
          clearable
          data-autofocus
        />
        <RemoteSelect
          label={t('business.feedback.project')}
          placeholder={t('business.feedback.noProject')}
          source={projectOptions(clientId)}
          value={projectId}
          onChange={setProjectId}
          error={submit.fieldError('projectId')}
          clearable
        />
        <Input.Wrapper
          label={t('business.feedback.score')}
          error={submit.fieldError('score')}
          labelElement="div"
        >
          <SegmentedControl
            aria-label={t('business.feedback.score')}
            data={SCORES.map((s) => ({ value: s, label: s }))}
            value={score}
            onChange={setScore}
            fullWidth
          />
        </Input.Wrapper>
        <Textarea
          label={t('business.feedback.comment')}
          value={comment}
          onChange={(e) => setComment(e.currentTarget.value)}
          error={submit.fieldError('comment')}
          autosize
          minRows={2}
        />
        <TextInput
          type="date"
          label={t('business.feedback.receivedOn')}
          value={receivedOn}
          onChange={(e) => setReceivedOn(e.currentTarget.value)}
          error={submit.fieldError('receivedOn')}
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
