// Create or change a contract: client, name, recurring amount in the organization's currency per
// month or year, start and optional end date. Errors the API names are shown beside their field.
// A contract being changed that someone else changes or deletes meanwhile gets a notice.
import { Button, Group, NumberInput, Select, SimpleGrid, Stack, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, ifMatch } from '../../api/client.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { clientOptions, RemoteSelect } from '../../components/RemoteSelect.tsx';
import { StaleNotice } from '../../components/StaleNotice.tsx';
import { useEditStart } from '../../components/useEditStart.ts';
import { useStaleNotice } from '../../components/useStaleNotice.ts';
import { useSubmit } from '../../components/useSubmit.ts';
import { useFormat } from '../../format/useFormat.ts';
import { BILLING_INTERVALS, type BillingInterval, type Contract } from './types.ts';
import type { useBook } from './useBook.ts';

interface ContractFormProps {
  book: ReturnType<typeof useBook>;
  contract?: Contract;
  onSaved: (c: Contract) => void;
}

export function ContractForm(props: ContractFormProps) {
  const start = useEditStart(props.contract);
  return <ContractFields key={start.key} {...props} contract={start.record} onLoadLatest={start.restart} />;
}

function ContractFields(props: ContractFormProps & { onLoadLatest: (latest: Contract) => void }) {
  const { t } = useTranslation();
  const f = useFormat();
  const { book, contract } = props;
  const currency = contract?.currency ?? book.currency ?? 'USD';
  const [clientId, setClientId] = useState<string | null>(contract?.clientId ?? null);
  const [name, setName] = useState(contract?.name ?? '');
  const [amount, setAmount] = useState<number | string>(
    contract ? f.toMajor(contract.amountMinor, currency) : '',
  );
  const [interval, setInterval] = useState<BillingInterval>(contract?.billingInterval ?? 'month');
  const [startDate, setStartDate] = useState(contract?.startDate ?? new Date().toISOString().slice(0, 10));
  const [endDate, setEndDate] = useState(contract?.endDate ?? '');

  const submit = useSubmit(async () => {
    const body = {
      clientId: clientId ?? '',
      name,
      amountMinor: amount === '' ? 0 : f.toMinor(Number(amount), currency),
      billingInterval: interval,
      startDate,
      endDate: endDate || null,
    };
    const saved = contract
      ? await call(
          api.PATCH('/api/v1/contracts/{id}', {
            params: { path: { id: contract.id } },
            headers: ifMatch(contract.version),
            body,
          }),
        )
      : await call(api.POST('/api/v1/contracts', { body }));
    props.onSaved(saved);
  });
  const stale = useStaleNotice({
    subject: 'contract',
    id: contract?.id,
    version: contract?.version,
    load: () => call(api.GET('/api/v1/contracts/{id}', { params: { path: { id: contract?.id ?? '' } } })),
    saving: submit.busy,
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };

  return (
    <form
      onSubmit={onSubmit}
      noValidate
      aria-label={contract ? t('business.contracts.edit') : t('business.contracts.new')}
    >
      <Stack>
        <StaleNotice subject="contract" stale={stale} onLoadLatest={props.onLoadLatest} />
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
          label={t('business.contracts.name')}
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={submit.fieldError('name')}
          required
        />
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
          <NumberInput
            label={t('business.common.amountIn', { label: t('business.contracts.amount'), currency })}
            value={amount}
            onChange={setAmount}
            min={0}
            decimalScale={book.decimals(currency)}
            error={submit.fieldError('amountMinor')}
            required
          />
          <Select
            label={t('business.contracts.interval')}
            data={BILLING_INTERVALS.map((i) => ({ value: i, label: t(`business.contracts.intervals.${i}`) }))}
            value={interval}
            onChange={(v) => v && setInterval(v as BillingInterval)}
            allowDeselect={false}
            error={submit.fieldError('billingInterval')}
          />
        </SimpleGrid>
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
          <TextInput
            type="date"
            label={t('business.contracts.startDate')}
            value={startDate}
            onChange={(e) => setStartDate(e.currentTarget.value)}
            error={submit.fieldError('startDate')}
            required
          />
          <TextInput
            type="date"
            label={t('business.contracts.endDate')}
            description={t('business.contracts.openEnded')}
            inputWrapperOrder={['label', 'input', 'description', 'error']}
            value={endDate}
            onChange={(e) => setEndDate(e.currentTarget.value)}
            error={submit.fieldError('endDate')}
          />
        </SimpleGrid>
        <Group justify="flex-end">
          <Button type="submit" loading={submit.busy}>
            {contract ? t('common.save') : t('common.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
