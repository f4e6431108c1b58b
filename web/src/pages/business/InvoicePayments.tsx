// One invoice: its amounts, its payments, a form to record a payment (never above the balance:
// the API answers 409 naming amountMinor, shown beside the field) and voiding, which the API
// allows only while no payment is recorded.
import { Alert, Button, Group, NumberInput, SimpleGrid, Stack, Table, Text, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, ifMatch } from '../../api/client.ts';
import { key, useApiQuery } from '../../api/queries.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { WideTable } from '../../components/WideTable.tsx';
import { useFormat } from '../../format/useFormat.ts';
import { InvoiceStateBadge } from './badges.tsx';
import { SummaryCard } from './SummaryCard.tsx';
import type { Invoice } from './types.ts';

export function InvoicePayments(props: {
  invoice: Invoice;
  clientName: string;
  decimals: number;
  canManage: boolean;
  onChanged: (i: Invoice) => void;
}) {
  const { t } = useTranslation();
  const f = useFormat();
  const { invoice } = props;
  const [paidOn, setPaidOn] = useState(new Date().toISOString().slice(0, 10));
  const [amount, setAmount] = useState<number | string>('');
  const [method, setMethod] = useState('');
  const [note, setNote] = useState('');
  const payments = useApiQuery(key('payments', 'InvoicePayments.payments', invoice.id), async () =>
    call(api.GET('/api/v1/invoices/{id}/payments', { params: { path: { id: invoice.id } } })),
  );

  /** The invoice as it is now (paid, balance and state follow the payments). */
  const refresh = async () => {
    props.onChanged(await call(api.GET('/api/v1/invoices/{id}', { params: { path: { id: invoice.id } } })));
    await payments.reload();
  };

  const pay = useSubmit(async () => {
    await call(
      api.POST('/api/v1/invoices/{id}/payments', {
        params: { path: { id: invoice.id } },
        body: {
          paidOn,
          amountMinor: amount === '' ? 0 : f.toMinor(Number(amount), invoice.currency),
          ...(method ? { method } : {}),
          ...(note ? { note } : {}),
        },
      }),
    );
    setAmount('');
    setNote('');
    await refresh();
  });
  const voidIt = useSubmit(async () => {
    props.onChanged(
      await call(
        api.PATCH('/api/v1/invoices/{id}', {
          params: { path: { id: invoice.id } },
          headers: ifMatch(invoice.version),
          body: { status: 'void' },
        }),
      ),
    );
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void pay.run();
  };
  const items = payments.data?.items ?? [];
  const takesPayments = invoice.status !== 'void' && invoice.balanceMinor > 0;

  return (
    <Stack>
      <Group justify="space-between">
        <Text>{props.clientName}</Text>
        <InvoiceStateBadge state={invoice.state} />
      </Group>
      <Text size="sm" c="dimmed">
        {t('business.invoices.issuedOn')}: {f.day(invoice.issuedOn)} · {t('business.invoices.dueOn')}:{' '}
        {f.day(invoice.dueOn)}
      </Text>
      <SimpleGrid cols={{ base: 2, xs: 3 }} spacing="xs">
        <SummaryCard
          label={t('business.invoices.amount')}
          value={f.money(invoice.amountMinor, invoice.currency)}
          testId="invoice-amount"
        />
        <SummaryCard
          label={t('business.invoices.paid')}
          value={f.money(invoice.paidMinor, invoice.currency)}
          testId="invoice-paid"
        />
        <SummaryCard
          label={t('business.invoices.balance')}
          value={f.money(invoice.balanceMinor, invoice.currency)}
          testId="invoice-balance"
        />
      </SimpleGrid>
      <Text fw={600}>{t('business.invoices.payments')}</Text>
      <ProblemAlert error={payments.error} />
      {items.length === 0 ? (
        <Text size="sm" c="dimmed">
          {t('business.invoices.noPayments')}
        </Text>
      ) : (
        <WideTable minWidth={300}>
          <Table aria-label={t('business.invoices.payments')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('business.invoices.paidOn')}</Table.Th>
                <Table.Th>{t('business.invoices.method')}</Table.Th>
                <Table.Th ta="right">{t('business.invoices.paymentAmount')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((p) => (
                <Table.Tr key={p.id}>
                  <Table.Td>{f.day(p.paidOn)}</Table.Td>
                  <Table.Td>
                    {p.method}
                    {p.note && (
                      <Text size="xs" c="dimmed">
                        {p.note}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td ta="right">{f.money(p.amountMinor, p.currency)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </WideTable>
      )}
      {invoice.status === 'void' && <Alert color="gray">{t('business.invoices.isVoid')}</Alert>}
      {invoice.status !== 'void' && invoice.balanceMinor === 0 && (
        <Alert color="green">{t('business.invoices.fullyPaid')}</Alert>
      )}
      {props.canManage && takesPayments && (
        <form onSubmit={onSubmit} noValidate aria-label={t('business.invoices.recordPayment')}>
          <Stack gap="xs">
            <ProblemAlert error={pay.formError} />
            <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
              <TextInput
                type="date"
                label={t('business.invoices.paidOn')}
                value={paidOn}
                onChange={(e) => setPaidOn(e.currentTarget.value)}
                error={pay.fieldError('paidOn')}
                required
              />
              <NumberInput
                label={t('business.common.amountIn', {
                  label: t('business.invoices.paymentAmount'),
                  currency: invoice.currency,
                })}
                value={amount}
                onChange={setAmount}
                min={0}
                decimalScale={props.decimals}
                error={pay.fieldError('amountMinor')}
                required
              />
            </SimpleGrid>
            <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
              <TextInput
                label={t('business.invoices.method')}
                placeholder={t('business.invoices.methodHint')}
                value={method}
                onChange={(e) => setMethod(e.currentTarget.value)}
                error={pay.fieldError('method')}
              />
              <TextInput
                label={t('business.invoices.note')}
                value={note}
                onChange={(e) => setNote(e.currentTarget.value)}
                error={pay.fieldError('note')}
              />
            </SimpleGrid>
            <Group justify="flex-end">
              <Button type="submit" loading={pay.busy}>
                {t('business.invoices.recordPayment')}
              </Button>
            </Group>
          </Stack>
        </form>
      )}
      {props.canManage && invoice.status !== 'void' && items.length === 0 && (
        <Stack gap={4}>
          <ProblemAlert error={voidIt.error} title={t('business.invoices.voidRefused')} />
          <Group justify="space-between" wrap="nowrap" align="center">
            <Text size="xs" c="dimmed">
              {t('business.invoices.voidHint')}
            </Text>
            <Button color="red" variant="light" onClick={() => void voidIt.run()} loading={voidIt.busy}>
              {t('business.invoices.void')}
            </Button>
          </Group>
        </Stack>
      )}
    </Stack>
  );
}
