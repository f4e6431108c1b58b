// Contracts: the recurring agreements MRR is made of. Filters as the API offers them (client,
// billing interval, active today), each contract's MRR contribution, MRR today, create and edit.
import { Button, Group, Modal, Select, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { key, useApiQuery, usePagedQuery } from '../../api/queries.ts';
import { ExportMenu } from '../../components/ExportMenu.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { clientOptions, RemoteSelect, useNames } from '../../components/RemoteSelect.tsx';
import { WideTable } from '../../components/WideTable.tsx';
import { useFormat } from '../../format/useFormat.ts';
import { useSession } from '../../session/SessionProvider.tsx';
import { ContractForm } from './ContractForm.tsx';
import { SummaryCard } from './SummaryCard.tsx';
import { BILLING_INTERVALS, type BillingInterval, type Contract } from './types.ts';
import { useBook } from './useBook.ts';

type Activity = 'all' | 'active' | 'inactive';

/** Every contract active today (all pages), for MRR today. */
async function activeContracts(): Promise<Contract[]> {
  const out: Contract[] = [];
  let cursor: string | undefined;
  do {
    const page = await call(
      api.GET('/api/v1/contracts', { params: { query: { active: true, limit: 200, cursor } } }),
    );
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
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
      <ProblemAlert error={list.error ?? active.error ?? book.error} />
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
      {items.length === 0 && list.loaded ? (
        <Text c="dimmed">{t('common.empty')}</Text>
      ) : (
        <WideTable minWidth={760}>
          <Table highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('business.contracts.name')}</Table.Th>
                <Table.Th>{t('business.common.client')}</Table.Th>
                <Table.Th ta="right">{t('business.contracts.amount')}</Table.Th>
                <Table.Th ta="right">{t('business.contracts.mrr')}</Table.Th>
                <Table.Th>{t('business.contracts.startDate')}</Table.Th>
                <Table.Th>{t('business.contracts.endDate')}</Table.Th>
                {manage && <Table.Th>{t('common.actions')}</Table.Th>}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((c) => (
                <Table.Tr key={c.id} data-contract={c.name}>
                  <Table.Td>{c.name}</Table.Td>
                  <Table.Td>{clientName(c.clientId) ?? '—'}</Table.Td>
                  <Table.Td ta="right">
                    {t(`business.contracts.per.${c.billingInterval}`, {
                      amount: f.money(c.amountMinor, c.currency),
                    })}
                  </Table.Td>
                  <Table.Td ta="right" data-testid="mrr-contribution">
                    {f.money(c.monthlyValueMinor, c.currency)}
                  </Table.Td>
                  <Table.Td>{f.day(c.startDate)}</Table.Td>
                  <Table.Td>{c.endDate ? f.day(c.endDate) : t('business.contracts.openEnded')}</Table.Td>
                  {manage && (
                    <Table.Td>
                      <Button
                        size="xs"
                        variant="subtle"
                        onClick={() => setEditing(c)}
                        aria-label={`${t('business.common.edit')}: ${c.name}`}
                      >
                        {t('business.common.edit')}
                      </Button>
                    </Table.Td>
                  )}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </WideTable>
      )}
      {list.more.hasMore && (
        <Button variant="default" onClick={() => void list.more.run()} loading={list.more.busy}>
          {t('common.loadMore')}
        </Button>
      )}
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
