// Deals: the pipeline as a board by stage (drag a deal, or move it by keyboard; a move the stage
// table forbids is refused by the API and explained with the allowed moves) or as a list with
// won/lost buttons (both a page at a time, "load more" past the first); the pipeline's numbers
// per stage; create a deal.
import { Alert, Button, Group, Modal, SegmentedControl, SimpleGrid, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { api, call, ifMatch } from '../../api/client.ts';
import { key, useApiQuery, usePagedQuery } from '../../api/queries.ts';
import { ExportMenu } from '../../components/ExportMenu.tsx';
import { ListPage, ListTable, LoadMore } from '../../components/ListPage.tsx';
import { moveOptimistically } from '../../components/moveOptimistically.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { clientOptions, memberOptions, useNames } from '../../components/RemoteSelect.tsx';
import { StatusBoard } from '../../components/StatusBoard.tsx';
import { useFormat } from '../../format/useFormat.ts';
import { useSession } from '../../session/SessionProvider.tsx';
import { DealStageBadge } from './badges.tsx';
import { DealForm } from './DealForm.tsx';
import { dealRefusal } from './dealRefusal.ts';
import { SummaryCard } from './SummaryCard.tsx';
import { DEAL_STAGES, type Deal, type DealStage, OPEN_STAGES } from './types.ts';
import { useBook } from './useBook.ts';

const isOpen = (s: DealStage) => OPEN_STAGES.includes(s);

export default function DealsPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const { can } = useSession();
  const book = useBook();
  const [params, setParams] = useSearchParams();
  const view = params.get('view') === 'list' ? 'list' : 'board';
  const [creating, setCreating] = useState(false);
  const [refusal, setRefusal] = useState<{ title: string; message: string } | null>(null);

  const list = usePagedQuery(key('deals', 'DealsPage.list'), (cursor) =>
    call(api.GET('/api/v1/deals', { params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } } })),
  );
  const { items, setItems } = list;
  const pipeline = useApiQuery(key('deals', 'DealsPage.pipeline'), () =>
    call(api.GET('/api/v1/deals/pipeline')),
  );
  const ownerName = useNames(
    memberOptions,
    items.map((d) => d.ownerId),
  );
  const clientName = useNames(
    clientOptions,
    items.map((d) => d.clientId),
  );

  const move = async (deal: Deal, to: DealStage) => {
    setRefusal(null);
    const outcome = await moveOptimistically({
      setItems,
      item: deal,
      moved: { ...deal, stage: to },
      save: () =>
        call(
          api.PATCH('/api/v1/deals/{id}', {
            params: { path: { id: deal.id } },
            headers: ifMatch(deal.version),
            body: { stage: to },
          }),
        ),
    });
    if (!outcome.ok) {
      setRefusal(dealRefusal(outcome.error, deal.stage, t));
      if (outcome.stale) void list.reload();
    }
    void pipeline.reload();
  };

  const currency = pipeline.data?.currency ?? book.currency ?? 'USD';
  const stageOf = (s: DealStage) =>
    pipeline.data?.stages.find((x) => x.stage === s) ?? { count: 0, amountMinor: 0 };
  const openStages = OPEN_STAGES.map(stageOf);
  const won = stageOf('won');
  const lost = stageOf('lost');
  const closed = won.count + lost.count;
  const manage = can('business:manage');
  const cards = items.map((d) => ({ ...d, status: d.stage }));

  /** The list view's buttons: won or lost for an open deal, reopen for a closed one. */
  const closeActions = (d: Deal) =>
    isOpen(d.stage) ? (
      <Group gap={4} wrap="nowrap">
        <Button
          size="xs"
          variant="light"
          color="green"
          aria-label={t('business.deals.markWonLabel', { title: d.title })}
          onClick={() => void move(d, 'won')}
        >
          {t('business.deals.markWon')}
        </Button>
        <Button
          size="xs"
          variant="light"
          color="red"
          aria-label={t('business.deals.markLostLabel', { title: d.title })}
          onClick={() => void move(d, 'lost')}
        >
          {t('business.deals.markLost')}
        </Button>
      </Group>
    ) : (
      <Button
        size="xs"
        variant="subtle"
        aria-label={t('business.deals.reopenLabel', { title: d.title })}
        onClick={() => void move(d, 'negotiation')}
      >
        {t('business.deals.reopen')}
      </Button>
    );

  return (
    <ListPage
      title={t('business.deals.title')}
      actions={
        <>
          <SegmentedControl
            aria-label={t('business.deals.view')}
            value={view}
            onChange={(v) => setParams(v === 'list' ? { view: 'list' } : {})}
            data={[
              { value: 'board', label: t('business.deals.board') },
              { value: 'list', label: t('business.deals.list') },
            ]}
          />
          <ExportMenu path="/api/v1/deals/export" />
          {manage && <Button onClick={() => setCreating(true)}>{t('business.deals.new')}</Button>}
        </>
      }
    >
      {/* The list view's table shows the listing's own problem (ListTable); the board has none. */}
      <ProblemAlert error={(view === 'board' ? list.error : null) ?? pipeline.error ?? book.error} />
      <SimpleGrid cols={{ base: 2, sm: 4 }}>
        <SummaryCard
          label={t('business.deals.openPipeline')}
          value={f.money(
            openStages.reduce((s, x) => s + x.amountMinor, 0),
            currency,
          )}
          testId="pipeline-open-amount"
        />
        <SummaryCard
          label={t('business.deals.openDeals')}
          value={f.number(openStages.reduce((s, x) => s + x.count, 0))}
          testId="pipeline-open-count"
        />
        <SummaryCard
          label={t('business.deals.wonValue')}
          value={f.money(won.amountMinor, currency)}
          testId="pipeline-won-amount"
        />
        <SummaryCard
          label={t('business.deals.winRate')}
          value={closed > 0 ? f.percent(won.count / closed) : '—'}
          hint={t('business.deals.winRateHint')}
          testId="pipeline-win-rate"
        />
      </SimpleGrid>
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
          {manage && (
            <Text size="xs" c="dimmed">
              {t('business.deals.dragHint')}
            </Text>
          )}
          <StatusBoard
            label={t('business.deals.board')}
            columns={DEAL_STAGES}
            items={cards}
            columnLabel={(s) =>
              `${t(`business.deals.stages.${s}`)} · ${f.money(stageOf(s).amountMinor, currency)}`
            }
            cardLabel={(d) => d.title}
            onMove={(d, to) => void move(d, to)}
            renderCard={(d) => (
              <Stack gap={2}>
                <Text fw={600} size="sm">
                  {d.title}
                </Text>
                <Text size="xs">{f.money(d.amountMinor, d.currency)}</Text>
                <Text size="xs" c="dimmed">
                  {clientName(d.clientId) ?? '—'}
                  {d.expectedCloseOn ? ` · ${f.day(d.expectedCloseOn)}` : ''}
                </Text>
              </Stack>
            )}
          />
        </>
      ) : (
        <ListTable
          list={list}
          minWidth={820}
          rowProps={(d) => ({ 'data-deal': d.title })}
          columns={[
            { header: t('business.deals.name'), cell: (d) => d.title },
            { header: t('business.common.client'), cell: (d) => clientName(d.clientId) ?? '—' },
            { header: t('business.deals.owner'), cell: (d) => ownerName(d.ownerId) ?? '—' },
            { header: t('business.deals.stage'), cell: (d) => <DealStageBadge stage={d.stage} /> },
            {
              header: t('business.deals.amount'),
              align: 'right',
              cell: (d) => f.money(d.amountMinor, d.currency),
            },
            {
              header: t('business.deals.expectedClose'),
              cell: (d) =>
                d.closedAt
                  ? `${t('business.deals.closedAt')} ${f.dateTime(d.closedAt)}`
                  : f.day(d.expectedCloseOn),
            },
            ...(manage ? [{ header: t('common.actions'), cell: closeActions }] : []),
          ]}
        />
      )}
      {view === 'board' && <LoadMore list={list} />}
      <Modal opened={creating} onClose={() => setCreating(false)} title={t('business.deals.new')}>
        <DealForm
          book={book}
          onCreated={(d) => {
            setCreating(false);
            setItems((prev) => [d, ...prev]);
            void pipeline.reload();
          }}
        />
      </Modal>
    </ListPage>
  );
}
