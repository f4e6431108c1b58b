// Invoices with what was paid, the balance and the derived state; filters as the API offers them
// (client, state, issue dates); totals of the listed invoices; create an invoice; open one to see
// and record its payments, or to void it.
import { Anchor, Button, Group, Modal, Select, SimpleGrid, Stack, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { key, usePagedQuery } from '../../api/queries.ts';
import { ExportMenu } from '../../components/ExportMenu.tsx';
import { ListTable } from '../../components/ListPage.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { clientOptions, RemoteSelect, useNames } from '../../components/RemoteSelect.tsx';
import { useFormat } from '../../format/useFormat.ts';
import { useSession } from '../../session/SessionProvider.tsx';
import { InvoiceStateBadge } from './badges.tsx';
import { InvoiceForm } from './InvoiceForm.tsx';
import { InvoicePayments } from './InvoicePayments.tsx';
import { SummaryCard } from './SummaryCard.tsx';
import { INVOICE_STATES, type Invoice, type InvoiceState } from './types.ts';
import { useBook } from './useBook.ts';

export default function InvoicesPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const { can } = useSession();
  const book = useBook();
  const [clientId, setClientId] = useState<string | null>(null);
  const [state, setState] = useState<InvoiceState | null>(null);
  const [issuedFrom, setIssuedFrom] = useState('');
  const [issuedTo, setIssuedTo] = useState('');
  const [creating, setCreating] = useState(false);
  const [openId, setOpenId] = useState<string | null>(null);

  const filters = {
    ...(clientId ? { clientId } : {}),
    ...(state ? { state } : {}),
    ...(issuedFrom ? { issuedFrom } : {}),
    ...(issuedTo ? { issuedTo } : {}),
  };
  const list = usePagedQuery(key('invoices', 'InvoicesPage.list', filters), (cursor) =>
    call(
      api.GET('/api/v1/invoices', {
        params: { query: { ...filters, limit: 100, ...(cursor ? { cursor } : {}) } },
      }),
    ),
  );
  const { items, setItems } = list;
  const clientName = useNames(
    clientOptions,
    items.map((x) => x.clientId),
  );
  const replace = (updated: Invoice) =>
    setItems((prev) => prev.map((i) => (i.id === updated.id ? updated : i)));

  const currency = book.currency ?? 'USD';
  const inBook = items.filter((i) => i.currency === currency && i.status !== 'void');
  const sum = (rows: Invoice[], pick: (i: Invoice) => number) => rows.reduce((s, i) => s + pick(i), 0);
  const open = items.find((i) => i.id === openId) ?? null;
  const manage = can('business:manage');

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('business.invoices.title')}</Title>
        <Group gap="xs">
          <ExportMenu path="/api/v1/invoices/export" query={filters} />
          {manage && <Button onClick={() => setCreating(true)}>{t('business.invoices.new')}</Button>}
        </Group>
      </Group>
      <ProblemAlert error={book.error} />
      <SimpleGrid cols={{ base: 2, sm: 3 }}>
        <SummaryCard
          label={t('business.invoices.outstanding')}
          value={f.money(
            sum(inBook, (i) => i.balanceMinor),
            currency,
          )}
          hint={t('business.invoices.shownHint')}
          testId="invoices-outstanding"
        />
        <SummaryCard
          label={t('business.invoices.overdueTotal')}
          value={f.money(
            sum(
              inBook.filter((i) => i.state === 'overdue'),
              (i) => i.balanceMinor,
            ),
            currency,
          )}
          testId="invoices-overdue"
        />
        <SummaryCard
          label={t('business.invoices.collected')}
          value={f.money(
            sum(inBook, (i) => i.paidMinor),
            currency,
          )}
          testId="invoices-collected"
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
          label={t('business.invoices.state')}
          placeholder={t('business.common.any')}
          data={INVOICE_STATES.map((s) => ({ value: s, label: t(`business.invoices.states.${s}`) }))}
          value={state}
          onChange={(v) => setState(v as InvoiceState | null)}
          clearable
          w={{ base: '100%', xs: 180 }}
        />
        <TextInput
          type="date"
          label={`${t('business.invoices.issuedOn')} ≥`}
          value={issuedFrom}
          onChange={(e) => setIssuedFrom(e.currentTarget.value)}
          w={{ base: 'calc(50% - 5px)', xs: 160 }}
        />
        <TextInput
          type="date"
          label={`${t('business.invoices.issuedOn')} ≤`}
          value={issuedTo}
          onChange={(e) => setIssuedTo(e.currentTarget.value)}
          w={{ base: 'calc(50% - 5px)', xs: 160 }}
        />
      </Group>
      <ListTable
        list={list}
        minWidth={820}
        rowProps={(i) => ({ 'data-invoice': i.number })}
        columns={[
          {
            header: t('business.invoices.number'),
            cell: (i) => (
              <Anchor component="button" type="button" onClick={() => setOpenId(i.id)} fw={600}>
                {i.number}
              </Anchor>
            ),
          },
          { header: t('business.common.client'), cell: (i) => clientName(i.clientId) ?? '—' },
          { header: t('business.invoices.issuedOn'), cell: (i) => f.day(i.issuedOn) },
          { header: t('business.invoices.dueOn'), cell: (i) => f.day(i.dueOn) },
          {
            header: t('business.invoices.amount'),
            align: 'right',
            cell: (i) => f.money(i.amountMinor, i.currency),
          },
          {
            header: t('business.invoices.paid'),
            align: 'right',
            testId: 'paid',
            cell: (i) => f.money(i.paidMinor, i.currency),
          },
          {
            header: t('business.invoices.balance'),
            align: 'right',
            testId: 'balance',
            cell: (i) => f.money(i.balanceMinor, i.currency),
          },
          { header: t('business.invoices.state'), cell: (i) => <InvoiceStateBadge state={i.state} /> },
        ]}
      />
      <Modal opened={creating} onClose={() => setCreating(false)} title={t('business.invoices.new')}>
        <InvoiceForm
          book={book}
          onCreated={(i) => {
            setCreating(false);
            setItems((prev) => [i, ...prev]);
            setOpenId(i.id);
          }}
        />
      </Modal>
      <Modal
        opened={open !== null}
        onClose={() => setOpenId(null)}
        title={open ? t('business.invoices.invoiceTitle', { number: open.number }) : ''}
        size="lg"
      >
        {open && (
          <InvoicePayments
            invoice={open}
            clientName={clientName(open.clientId) ?? '—'}
            decimals={book.decimals(open.currency)}
            canManage={manage}
            onChanged={replace}
          />
        )}
      </Modal>
    </Stack>
  );
}
