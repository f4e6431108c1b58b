// How a send or broadcast is going: its notifications per status. notification.created reaches
// only the recipients, and a batch's counts move as the delivery runner works, with no event to
// the sender's tab: so this one card refetches on a short interval, but only while something is
// queued or sending, and for at most BATCH_WATCH_MS after the send (quiet hours may hold a
// notification queued for hours; the log shows it then). It polls nothing once the batch settled.
import { Anchor, Badge, Card, Group, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, call } from '../../api/client.ts';
import { key } from '../../api/queries.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { NotificationStatusBadge } from './StatusBadge.tsx';
import { type NotificationStatus, STATUSES } from './types.ts';

export interface Batch {
  batchId: string;
  total: number;
  counts: Record<string, number>;
}

const BATCH_REFETCH_MS = 1_500;
const BATCH_WATCH_MS = 5 * 60_000;

const inFlight = (b: Batch | undefined) => !!b && ((b.counts.queued ?? 0) > 0 || (b.counts.sending ?? 0) > 0);

export function BatchSummary({ batch: initial }: { batch: Batch }) {
  const { t } = useTranslation();
  const [since] = useState(() => Date.now());
  const q = useQuery({
    queryKey: key('notifications', 'batch', initial.batchId),
    queryFn: () =>
      call(api.GET('/api/v1/notifications/batches/{id}', { params: { path: { id: initial.batchId } } })),
    initialData: initial,
    initialDataUpdatedAt: 0,
    refetchInterval: (query) =>
      inFlight(query.state.data) && Date.now() - since < BATCH_WATCH_MS ? BATCH_REFETCH_MS : false,
  });
  const batch = q.data ?? initial;
  const shown = STATUSES.filter((s) => (batch.counts[s] ?? 0) > 0);
  return (
    <Card withBorder data-testid="batch-summary" data-settled={inFlight(batch) ? 'false' : 'true'}>
      <Stack gap="xs">
        <Group justify="space-between">
          <Title order={4}>{t('notifications.send.batch')}</Title>
          <Text size="sm">{t('notifications.send.batchTotal', { count: batch.total })}</Text>
        </Group>
        <Group gap="xs">
          {shown.map((s: NotificationStatus) => (
            <Group key={s} gap={4} data-testid={`batch-count-${s}`}>
              <NotificationStatusBadge status={s} />
              <Badge variant="outline" color="gray">
                {batch.counts[s]}
              </Badge>
            </Group>
          ))}
        </Group>
        {inFlight(batch) && (
          <Text size="xs" c="dimmed">
            {t('notifications.send.batchLive')}
          </Text>
        )}
        <ProblemAlert error={q.error} />
        <Anchor component={Link} to="/admin/notifications/deliveries" size="sm">
          {t('notifications.send.batchLog')}
        </Anchor>
      </Stack>
    </Card>
  );
}
