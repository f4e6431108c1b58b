// Create an invoice: client, number, issue and due dates, amount in the organization's currency.
import { Button, Group, NumberInput, SimpleGrid, Stack, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { clientOptions, RemoteSelect } from '../../components/RemoteSelect.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { useFormat } from '../../format/useFormat.ts';
import type { Invoice } from './types.ts';
import type { useBook } from './useBook.ts';

export function InvoiceForm(props: { book: ReturnType<typeof useBook>; onCreated: (i: Invoice) => void }) {
  const { t } = useTranslation();
  const f = useFormat();
  const { book } = props;
  const currency = book.currency ?? 'USD';
  const today = new Date().toISOString().slice(0, 10);
  const [clientId, setClientId] = useState<string | null>(null);
  const [number, setNumber] = useState('');
  const [issuedOn, setIssuedOn] = useState(today);
  const [dueOn, setDueOn] = useState('');
  const [amount, setAmount] = useState<number | string>('');

  const submit = useSubmit(async () => {
    const created = await call(
      api.POST('/api/v1/invoices', {
        body: {
          clientId: clientId ?? '',
          number,
          issuedOn,
          dueOn,
          amountMinor: amount === '' ? 0 : f.toMinor(Number(amount), currency),
        },
      }),
    );
    props.onCreated(created);
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };

  return (
    <form onSubmit={onSubmit} noValidate aria-label={t('business.invoices.new')}>
      <Stack>
        <ProblemAlert error={submit.formError} />
        <RemoteSelect
          label={t('business.common.client')}
          source={clientOptions}
          value={clientId}
          onChange={setClientId}
          error={submit.fieldError('clientId')}
          required
          data-autofocus
        />
        <TextInput
          label={t('business.invoices.number')}
          value={number}
          onChange={(e) => setNumber(e.currentTarget.value)}
          error={submit.fieldError('number')}
          required
        />
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
          <TextInput
            type="date"
            label={t('business.invoices.issuedOn')}
            value={issuedOn}
            onChange={(e) => setIssuedOn(e.currentTarget.value)}
            error={submit.fieldError('issuedOn')}
            required
          />
          <TextInput
            type="date"
            label={t('business.invoices.dueOn')}
            value={dueOn}
            onChange={(e) => setDueOn(e.currentTarget.value)}
            error={submit.fieldError('dueOn')}
            required
          />
        </SimpleGrid>
        <NumberInput
          label={t('business.common.amountIn', { label: t('business.invoices.amount'), currency })}
          value={amount}
          onChange={setAmount}
          min={0}
          decimalScale={book.decimals(currency)}
          error={submit.fieldError('amountMinor')}
          required
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
