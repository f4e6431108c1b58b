// Create a deal: title, client, owner, expected value in the organization's currency, expected
// close date and stage (lead unless chosen).
import { Button, Group, NumberInput, Select, SimpleGrid, Stack, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { clientOptions, memberOptions, RemoteSelect } from '../../components/RemoteSelect.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { useFormat } from '../../format/useFormat.ts';
import { DEAL_STAGES, type Deal, type DealStage } from './types.ts';
import type { useBook } from './useBook.ts';

/** The fields the form shows: a problem naming another one is shown above the form. */
const DEAL_FIELDS = ['title', 'clientId', 'ownerId', 'amountMinor', 'expectedCloseOn', 'stage'] as const;

export function DealForm(props: { book: ReturnType<typeof useBook>; onCreated: (d: Deal) => void }) {
  const { t } = useTranslation();
  const f = useFormat();
  const { book } = props;
  const currency = book.currency ?? 'USD';
  const [title, setTitle] = useState('');
  const [clientId, setClientId] = useState<string | null>(null);
  const [ownerId, setOwnerId] = useState<string | null>(null);
  const [amount, setAmount] = useState<number | string>('');
  const [expectedCloseOn, setExpectedCloseOn] = useState('');
  const [stage, setStage] = useState<DealStage>('lead');

  const submit = useSubmit(async () => {
    const created = await call(
      api.POST('/api/v1/deals', {
        body: {
          title,
          clientId,
          ownerId,
          amountMinor: amount === '' ? 0 : f.toMinor(Number(amount), currency),
          expectedCloseOn: expectedCloseOn || null,
          stage,
        },
      }),
    );
    props.onCreated(created);
  }, DEAL_FIELDS);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };

  return (
    <form onSubmit={onSubmit} noValidate aria-label={t('business.deals.new')}>
      <Stack>
        <ProblemAlert error={submit.formError} />
        <TextInput
          label={t('business.deals.name')}
          value={title}
          onChange={(e) => setTitle(e.currentTarget.value)}
          error={submit.fieldError('title')}
          required
          data-autofocus
        />
        <RemoteSelect
          label={t('business.common.client')}
          placeholder={t('business.common.noClient')}
          source={clientOptions}
          value={clientId}
          onChange={setClientId}
          error={submit.fieldError('clientId')}
          clearable
        />
        <RemoteSelect
          label={t('business.deals.owner')}
          placeholder={t('business.deals.noOwner')}
          source={memberOptions}
          value={ownerId}
          onChange={setOwnerId}
          error={submit.fieldError('ownerId')}
          clearable
        />
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
          <NumberInput
            label={t('business.common.amountIn', { label: t('business.deals.amount'), currency })}
            value={amount}
            onChange={setAmount}
            min={0}
            decimalScale={book.decimals(currency)}
            error={submit.fieldError('amountMinor')}
          />
          <TextInput
            type="date"
            label={t('business.deals.expectedClose')}
            value={expectedCloseOn}
            onChange={(e) => setExpectedCloseOn(e.currentTarget.value)}
            error={submit.fieldError('expectedCloseOn')}
          />
        </SimpleGrid>
        <Select
          label={t('business.deals.stage')}
          data={DEAL_STAGES.map((s) => ({ value: s, label: t(`business.deals.stages.${s}`) }))}
          value={stage}
          onChange={(v) => v && setStage(v as DealStage)}
          allowDeselect={false}
          error={submit.fieldError('stage')}
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
