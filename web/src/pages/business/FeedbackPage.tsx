// Satisfaction feedback: scores from 1 to 5 per client or project, filtered as the API offers
// (client, score, received dates), with the average of those listed; record new feedback.
import { Button, Group, Modal, Rating, Select, SimpleGrid, Stack, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { key, usePagedQuery } from '../../api/queries.ts';
import { ExportMenu } from '../../components/ExportMenu.tsx';
import { ListTable } from '../../components/ListPage.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { clientOptions, projectOptions, RemoteSelect, useNames } from '../../components/RemoteSelect.tsx';
import { useFormat } from '../../format/useFormat.ts';
import { useSession } from '../../session/SessionProvider.tsx';
import { FeedbackForm, SCORES } from './FeedbackForm.tsx';
import { SummaryCard } from './SummaryCard.tsx';
import { useBook } from './useBook.ts';

export default function FeedbackPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const { can } = useSession();
  const book = useBook();
  const [clientId, setClientId] = useState<string | null>(null);
  const [score, setScore] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);

  const filters = { ...(clientId ? { clientId } : {}), ...(score ? { score: Number(score) } : {}) };
  const list = usePagedQuery(key('feedback', 'FeedbackPage.list', filters), (cursor) =>
    call(
      api.GET('/api/v1/feedback', {
        params: { query: { ...filters, limit: 100, ...(cursor ? { cursor } : {}) } },
      }),
    ),
  );
  const { items } = list;
  const clientName = useNames(
    clientOptions,
    items.map((x) => x.clientId),
  );
  const projectName = useNames(
    projectOptions(),
    items.map((x) => x.projectId),
  );

  const average = items.length > 0 ? items.reduce((s, x) => s + x.score, 0) / items.length : null;
  const exportQuery: Record<string, string> = Object.fromEntries(
    Object.entries(filters).map(([k, v]) => [k, String(v)]),
  );

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('business.feedback.title')}</Title>
        <Group gap="xs">
          <ExportMenu path="/api/v1/feedback/export" query={exportQuery} />
          {can('business:manage') && (
            <Button onClick={() => setCreating(true)}>{t('business.feedback.new')}</Button>
          )}
        </Group>
      </Group>
      <ProblemAlert error={book.error} />
      <SimpleGrid cols={{ base: 2, sm: 3 }}>
        <SummaryCard
          label={t('business.feedback.average')}
          value={
            average === null
              ? '—'
              : new Intl.NumberFormat(f.locale, { maximumFractionDigits: 2 }).format(average)
          }
          hint={t('business.feedback.shownHint')}
          testId="feedback-average"
        />
        <SummaryCard
          label={t('business.feedback.count')}
          value={f.number(items.length)}
          testId="feedback-count"
        />
      </SimpleGrid>
      <Group gap="xs" align="flex-end" role="group" aria-label={t('business.common.filters')}>
        <RemoteSelect
          label={t('business.common.client')}
          placeholder={t('business.common.allClients')}
          source={clientOptions}
          value={clientId}
          onChange={setClientId}
          clearable
          w={{ base: '100%', xs: 220 }}
        />
        <Select
          label={t('business.feedback.score')}
          placeholder={t('business.common.any')}
          data={SCORES.map((s) => ({ value: s, label: t('business.feedback.scoreOf', { score: s }) }))}
          value={score}
          onChange={setScore}
          clearable
          w={{ base: '100%', xs: 160 }}
        />
      </Group>
      <ListTable
        list={list}
        minWidth={640}
        columns={[
          { header: t('business.feedback.receivedOn'), cell: (x) => f.day(x.receivedOn) },
          { header: t('business.common.client'), cell: (x) => clientName(x.clientId) ?? '—' },
          { header: t('business.feedback.project'), cell: (x) => projectName(x.projectId) ?? '—' },
          {
            header: t('business.feedback.score'),
            cell: (x) => (
              <Rating
                value={x.score}
                readOnly
                size="sm"
                aria-label={t('business.feedback.scoreOf', { score: x.score })}
              />
            ),
          },
          { header: t('business.feedback.comment'), cell: (x) => x.comment },
        ]}
      />
      <Modal opened={creating} onClose={() => setCreating(false)} title={t('business.feedback.new')}>
        <FeedbackForm
          book={book}
          onCreated={() => {
            setCreating(false);
            void list.reload();
          }}
        />
      </Modal>
    </Stack>
  );
}
