// One notification of the delivery log in a drawer: to whom, how, its state (why it was skipped,
// until when quiet hours hold it, the next attempt, the last error), its text and every attempt
// (provider, outcome, status code, error code, latency, time); a dead or failed one can be
// replayed from here (a refusal, e.g. 409 when it is no longer replayable, is shown as the API
// explains it).
import { Badge, Button, Code, Drawer, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { key, useApiQuery } from '../../api/queries.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { WideTable } from '../../components/WideTable.tsx';
import { useFormat } from '../../format/useFormat.ts';
import { NotificationStatusBadge } from './StatusBadge.tsx';
import {
  type Channel,
  type Notification,
  type NotificationAttempt,
  type Priority,
  REPLAYABLE,
} from './types.ts';

export function DeliveryDrawer(props: { id: string | null; onClose: () => void; onReplayed: () => void }) {
  const { t } = useTranslation();
  return (
    <Drawer
      opened={props.id !== null}
      onClose={props.onClose}
      position="right"
      size="xl"
      title={t('notifications.log.detail')}
    >
      {props.id && <Detail id={props.id} onReplayed={props.onReplayed} />}
    </Drawer>
  );
}

function Detail({ id, onReplayed }: { id: string; onReplayed: () => void }) {
  const { t } = useTranslation();
  const f = useFormat();
  const one = useApiQuery(key('notifications', 'deliveries', id), () =>
    call(api.GET('/api/v1/notifications/deliveries/{id}', { params: { path: { id } } })),
  );
  const replay = useSubmit(async () => {
    const n = await call(
      api.POST('/api/v1/notifications/deliveries/{id}/replay', { params: { path: { id } } }),
    );
    one.setData(n);
    onReplayed();
  });
  const n: Notification | null = one.data?.id === id ? one.data : null;
  if (!n) return <ProblemAlert error={one.error} />;
  const rows: [string, ReactNode][] = [
    [t('notifications.log.recipient'), n.recipientName ?? '—'],
    [t('notifications.log.address'), n.address ?? '—'],
    [t('notifications.log.channel'), t(`notifications.channel.${n.channel as Channel}`)],
    [t('notifications.log.priority'), t(`notifications.priority.${n.priority as Priority}`)],
    [t('notifications.log.eventType'), <Code key="e">{n.eventType}</Code>],
    [t('notifications.log.created'), f.dateTime(n.createdAt)],
  ];
  if (n.skipReason)
    rows.push([
      t('notifications.log.skipReason'),
      t(`notifications.skipReason.${n.skipReason}` as 'notifications.skipReason.opted_out', {
        defaultValue: n.skipReason,
      }),
    ]);
  if (n.heldUntil) rows.push([t('notifications.log.heldUntil'), f.dateTime(n.heldUntil)]);
  if (n.nextAttemptAt) rows.push([t('notifications.log.nextAttempt'), f.dateTime(n.nextAttemptAt)]);
  if (n.lastError) rows.push([t('notifications.log.lastError'), n.lastError]);

  return (
    <Stack data-testid="delivery-detail">
      <Group justify="space-between">
        <NotificationStatusBadge status={n.status} />
        {REPLAYABLE.includes(n.status) && (
          <Button size="xs" loading={replay.busy} onClick={() => void replay.run()}>
            {t('notifications.log.replay')}
          </Button>
        )}
      </Group>
      <ProblemAlert error={replay.error ?? one.error} />
      <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="xs" verticalSpacing={4}>
        {rows.map(([label, value]) => (
          <div key={label}>
            <Text size="xs" c="dimmed">
              {label}
            </Text>
            <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
              {value}
            </Text>
          </div>
        ))}
      </SimpleGrid>
      <div>
        <Text size="xs" c="dimmed">
          {t('notifications.log.body')}
        </Text>
        {n.subject && (
          <Text size="sm" fw={600}>
            {n.subject}
          </Text>
        )}
        <Text size="sm" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
          {n.body}
        </Text>
      </div>
      <Title order={4}>{t('notifications.log.attempts')}</Title>
      <Attempts attempts={n.attempts ?? []} />
    </Stack>
  );
}

function Attempts({ attempts }: { attempts: NotificationAttempt[] }) {
  const { t } = useTranslation();
  const f = useFormat();
  if (attempts.length === 0) return <Text c="dimmed">{t('notifications.log.noAttempts')}</Text>;
  return (
    <WideTable minWidth={600}>
      <Table fz="sm" verticalSpacing={4} data-testid="delivery-attempts">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>#</Table.Th>
            <Table.Th>{t('notifications.log.attempt.when')}</Table.Th>
            <Table.Th>{t('notifications.log.attempt.provider')}</Table.Th>
            <Table.Th>{t('notifications.log.attempt.outcome')}</Table.Th>
            <Table.Th>{t('notifications.log.attempt.statusCode')}</Table.Th>
            <Table.Th>{t('notifications.log.attempt.errorCode')}</Table.Th>
            <Table.Th>{t('notifications.log.attempt.latency')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {attempts.map((a) => (
            <Table.Tr key={a.attempt}>
              <Table.Td>{a.attempt}</Table.Td>
              <Table.Td>{f.dateTime(a.startedAt)}</Table.Td>
              <Table.Td>{a.provider}</Table.Td>
              <Table.Td>
                <Badge
                  size="sm"
                  variant="light"
                  color={a.outcome === 'sent' ? 'green' : a.outcome === 'retry' ? 'yellow' : 'red'}
                >
                  {t(`notifications.outcome.${a.outcome}`)}
                </Badge>
                {a.error && (
                  <Text
                    size="xs"
                    c="dimmed"
                    title={t('notifications.log.attempt.error')}
                    style={{ overflowWrap: 'anywhere' }}
                  >
                    {a.error}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>{a.statusCode ?? '—'}</Table.Td>
              <Table.Td>{a.errorCode ? <Code>{a.errorCode}</Code> : '—'}</Table.Td>
              <Table.Td>{t('notifications.log.ms', { ms: a.latencyMs })}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </WideTable>
  );
}
