// The delivery log (notifications:manage): every notification, newest first, filtered by status,
// channel, event type and dates; a row opens its details with every attempt; a dead or failed
// one can be replayed. Delivery progress sends no event to the admin's tab, so the log has a
// Refresh button (it also reloads whenever the page opens).
import { Anchor, Button, Code, Select, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { key, usePagedQuery } from '../../api/queries.ts';
import { type Column, ListPage, ListTable } from '../../components/ListPage.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { useFormat } from '../../format/useFormat.ts';
import { DeliveryDrawer } from './DeliveryDrawer.tsx';
import { NotificationStatusBadge } from './StatusBadge.tsx';
import {
  CHANNELS,
  type Channel,
  type Notification,
  type NotificationStatus,
  REPLAYABLE,
  STATUSES,
} from './types.ts';

/** A `YYYY-MM-DD` day typed in a date field → the instant it starts here (plus `days`). */
function dayStart(day: string, days = 0): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const d = new Date(`${day}T00:00:00`);
  d.setDate(d.getDate() + days);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export const recipientOf = (n: Notification) => n.recipientName ?? n.address ?? '—';

export default function DeliveriesPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const [status, setStatus] = useState<NotificationStatus | null>(null);
  const [channel, setChannel] = useState<Channel | null>(null);
  const [typed, setTyped] = useState('');
  const [eventType] = useDebouncedValue(typed.trim(), 300);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [openId, setOpenId] = useState<string | null>(null);
  const query = {
    ...(status ? { status } : {}),
    ...(channel ? { channel } : {}),
    ...(eventType ? { eventType } : {}),
    ...(dayStart(from) ? { from: dayStart(from) } : {}),
    // "Until" includes the day chosen: the API's `to` is exclusive.
    ...(dayStart(to, 1) ? { to: dayStart(to, 1) } : {}),
  };
  const list = usePagedQuery<Notification>(key('notifications', 'deliveries', query), (cursor) =>
    call(
      api.GET('/api/v1/notifications/deliveries', {
        params: { query: { limit: 50, ...query, ...(cursor ? { cursor } : {}) } },
      }),
    ),
  );
  const [replaying, setReplaying] = useState<string | null>(null);
  const replay = useSubmit(async (n: Notification) => {
    setReplaying(n.id);
    await call(api.POST('/api/v1/notifications/deliveries/{id}/replay', { params: { path: { id: n.id } } }));
    await list.reload();
  });

  const columns: Column<Notification>[] = [
    { header: t('notifications.log.created'), cell: (n) => f.dateTime(n.createdAt) },
    {
      header: t('notifications.log.recipient'),
      cell: (n) => (
        <Anchor
          component="button"
          type="button"
          size="sm"
          onClick={() => setOpenId(n.id)}
          aria-label={t('notifications.log.openWho', { who: recipientOf(n) })}
        >
          {recipientOf(n)}
        </Anchor>
      ),
    },
    {
      header: t('notifications.log.channel'),
      cell: (n) => t(`notifications.channel.${n.channel as Channel}`),
    },
    { header: t('notifications.log.eventType'), cell: (n) => <Code>{n.eventType}</Code> },
    {
      header: t('notifications.log.subject'),
      cell: (n) => (
        <Text size="sm" lineClamp={1}>
          {n.subject ?? n.body}
        </Text>
      ),
    },
    {
      header: t('notifications.log.status'),
      cell: (n) => <NotificationStatusBadge status={n.status} />,
      testId: 'delivery-status',
    },
    { header: t('notifications.log.attemptCount'), cell: (n) => n.attemptCount, align: 'right' },
    {
      header: t('common.actions'),
      cell: (n) =>
        REPLAYABLE.includes(n.status) ? (
          <Button
            size="xs"
            variant="default"
            loading={replay.busy && replaying === n.id}
            onClick={() => void replay.run(n)}
            aria-label={t('notifications.log.replayWho', { who: recipientOf(n) })}
          >
            {t('notifications.log.replay')}
          </Button>
        ) : null,
    },
  ];

  const statusData = STATUSES.map((s) => ({ value: s, label: t(`notifications.status.${s}`) }));
  const channelData = CHANNELS.map((c) => ({ value: c, label: t(`notifications.channel.${c}`) }));
  return (
    <ListPage
      title={t('notifications.log.title')}
      actions={
        <Button size="xs" variant="default" loading={list.fetching} onClick={() => void list.reload()}>
          {t('notifications.log.refresh')}
        </Button>
      }
      filters={
        <>
          <Select
            label={t('notifications.log.status')}
            placeholder={t('notifications.log.any')}
            data={statusData}
            value={status}
            onChange={(v) => setStatus(v as NotificationStatus | null)}
            clearable
            w={160}
          />
          <Select
            label={t('notifications.log.channel')}
            placeholder={t('notifications.log.any')}
            data={channelData}
            value={channel}
            onChange={(v) => setChannel(v as Channel | null)}
            clearable
            w={180}
          />
          <TextInput
            label={t('notifications.log.eventType')}
            placeholder="task.assigned"
            value={typed}
            onChange={(e) => setTyped(e.currentTarget.value)}
            w={180}
          />
          <TextInput
            type="date"
            label={t('notifications.log.from')}
            value={from}
            onChange={(e) => setFrom(e.currentTarget.value)}
            w={160}
          />
          <TextInput
            type="date"
            label={t('notifications.log.to')}
            value={to}
            onChange={(e) => setTo(e.currentTarget.value)}
            w={160}
          />
        </>
      }
    >
      <Text size="sm" c="dimmed">
        {t('notifications.log.help')}
      </Text>
      <ListTable
        list={list}
        columns={columns}
        minWidth={900}
        errors={[replay.error]}
        empty={<Text c="dimmed">{t('notifications.none')}</Text>}
        rowProps={(n) => ({ 'data-notification': n.id, 'data-status': n.status })}
      />
      <DeliveryDrawer id={openId} onClose={() => setOpenId(null)} onReplayed={() => void list.reload()} />
    </ListPage>
  );
}
