// Invoice states and deal stages as coloured, translated badges.
import { Badge } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { DealStage, InvoiceState } from './types.ts';

const STATE_COLORS: Record<InvoiceState, string> = {
  open: 'blue',
  partially_paid: 'yellow',
  overdue: 'red',
  paid: 'green',
  void: 'gray',
};

const STAGE_COLORS: Record<DealStage, string> = {
  lead: 'grape',
  qualified: 'indigo',
  proposal: 'blue',
  negotiation: 'cyan',
  won: 'green',
  lost: 'red',
};

export function InvoiceStateBadge({ state }: { state: InvoiceState }) {
  const { t } = useTranslation();
  return (
    <Badge color={STATE_COLORS[state]} variant="light">
      {t(`business.invoices.states.${state}`)}
    </Badge>
  );
}

export function DealStageBadge({ stage }: { stage: DealStage }) {
  const { t } = useTranslation();
  return (
    <Badge color={STAGE_COLORS[stage]} variant="light">
      {t(`business.deals.stages.${stage}`)}
    </Badge>
  );
}
