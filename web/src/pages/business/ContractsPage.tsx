// Contracts: the recurring agreements MRR is made of. Filters as the API offers them (client,
// billing interval, active today), each contract's MRR contribution, MRR today, create and edit.
import { Button, Group, Modal, Select, SimpleGrid, Stack, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { allPages, key, useApiQuery, usePagedQuery } from '../../api/queries.ts';
import { ExportMenu } from '../../components/ExportMenu.tsx';
import { ListTable } from '../../components/ListPage.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { clientOptions, RemoteSelect, useNames } from '../../components/RemoteSelect.tsx';
import { useFormat } from '../../format/useFormat.ts';
import { useSession } from '../../session/SessionProvider.tsx';
import { ContractForm } from './ContractForm.tsx';
import { SummaryCard } from './SummaryCard.tsx';
import { BILLING_INTERVALS, type BillingInterval, type Contract } from './types.ts';
import { useBook } from './useBook.ts';

type Activity = 'all' | 'active' | 'inactive';

/** Every contract active today (all pages), for MRR today. */
function activeContracts(): Promise<Contract[]> {
  return allPages((cursor) =>
    call(
      api.GET('/api/v1/contracts', {
        params: { query: { active: true, limit: 200, ...(cursor ? { cursor } : {}) } },
      }),
    ),
  );
}

export default function ContractsPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const { can } = useSession();
  const book = useBook();
  const [clientId, setClientId] = useState<string | null>(null);
  const [interval, setInterval] = useState<BillingInterval | null>(null);
  const [activity, setActivity] = useState<Activity>('all');
  const [editing, setEditing] = useState<Contract | 'new' | null>(null);

  const filters = {
    ...(clientId ? { clientId } : {}),
    ...(interval ? { billingInterval: interval } : {}),
    ...(activity === 'all' ? {} : { active: activity === 'active' }),
  };
  const list = usePagedQuery(key('contracts', 'ContractsPage.list', filters), (cursor) =>
    call(
      api.GET('/api/v1/contracts', {
        params: { query: { ...filters, limit: 100, ...(cursor ? { cursor } : {}) } },
      }),
    ),
  );
  const { items } = list;
  const clientName = useNames(
    clientOptions,
    items.map((x) => x.clientId),
  );
  const active = useApiQuery(key('contracts', 'ContractsPage.active'), activeContracts);

  const currency = book.currency ?? 'USD';
  const mrr = (active.data ?? []).reduce(
    (sum, c) => sum + (c.currency === currency ? c.monthlyValueMinor : 0),
    0,
  );
  const exportQuery: Record<string, string> = Object.fromEntries(
    Object.entries(filters).map(([k, v]) => [k, String(v)]),
  );
  const manage = can('business:manage');

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('business.contracts.title')}</Title>
        <Group gap="xs">
          <ExportMenu path="/api/v1/contracts/export" query={exportQuery} />
          {manage && <Button onClick={() => setEditing('new')}>{t('business.contracts.new')}</Button>}
        </Group>
      </Group>
      <ProblemAlert error={active.error ?? book.error} />
      <SimpleGrid cols={{ base: 2, sm: 3 }}>
        <SummaryCard
          label={t('business.contracts.mrrToday')}
          value={active.data ? f.money(mrr, currency) : '…'}
          hint={t('business.contracts.mrrHint')}
          testId="mrr-today"
        />
        <SummaryCard
          label={t('business.contracts.activeCount')}
          value={active.data ? f.number(active.data.length) : '…'}
          testId="active-contracts"
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
          label={t('business.contracts.interval')}
          placeholder={t('business.common.any')}
          data={BILLING_INTERVALS.map((i) => ({ value: i, label: t(`business.contracts.intervals.${i}`) }))}
          value={interval}
          onChange={(v) => setInterval(v as BillingInterval | null)}
          clearable
          w={{ base: '100%', xs: 180 }}
        />
        <Select
          label={t('business.contracts.activity')}
          data={(['all', 'active', 'inactive'] as const).map((a) => ({
            value: a,
            label: t(`business.contracts.activities.${a}`),
          }))}
          value={activity}
          onChange={(v) => setActivity((v as Activity | null) ?? 'all')}
          allowDeselect={false}
          w={{ base: '100%', xs: 200 }}
        />
      </Group>
      <ListTable
        list={list}
        minWidth={760}
        rowProps={(c) => ({ 'data-contract': c.name })}
        columns={[
          { header: t('business.contracts.name'), cell: (c) => c.name },
          { header: t('business.common.client'), cell: (c) => clientName(c.clientId) ?? '—' },
          {
            header: t('business.contracts.amount'),
            align: 'right',
            cell: (c) =>
              t(`business.contracts.per.${c.billingInterval}`, {
                amount: f.money(c.amountMinor, c.currency),
              }),
          },
          {
            header: t('business.contracts.mrr'),
            align: 'right',
            testId: 'mrr-contribution',
            cell: (c) => f.money(c.monthlyValueMinor, c.currency),
          },
          { header: t('business.contracts.startDate'), cell: (c) => f.day(c.startDate) },
          {
            header: t('business.contracts.endDate'),
            cell: (c) => (c.endDate ? f.day(c.endDate) : t('business.contracts.openEnded')),
          },
          ...(manage
            ? [
                {
                  header: t('common.actions'),
                  cell: (c: Contract) => (
                    <Button
                      size="xs"
                      variant="subtle"
                      onClick={() => setEditing(c)}
                      aria-label={`${t('business.common.edit')}: ${c.name}`}
                    >
                      {t('business.common.edit')}
                    </Button>
                  ),
                },
              ]
            : []),
        ]}
      />
      <Modal
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={editing === 'new' ? t('business.contracts.new') : t('business.contracts.edit')}
      >
        {editing !== null && (
          <ContractForm
            book={book}
            contract={editing === 'new' ? undefined : editing}
            onSaved={() => {
              setEditing(null);
              void list.reload();
              void active.reload();
            }}
          />
        )}
      </Modal>
    </Stack>
  );
}
