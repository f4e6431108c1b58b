// My notifications (any signed-in member): newest first, unread ones only on request, a page at a
// time; opening one marks it read. New ones appear as they come (notification.created refreshes
// the listing; nothing polls).
import { Badge, Button, Card, Group, Stack, Switch, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { LoadMore } from '../../components/ListPage.tsx';
import { NotificationItem } from '../../components/NotificationItem.tsx';
import { useInbox, useMarkRead, useUnreadCount } from '../../components/notificationInbox.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';

export default function InboxPage() {
  const { t } = useTranslation();
  const [unreadOnly, setUnreadOnly] = useState(false);
  const inbox = useInbox({ unread: unreadOnly, limit: 30 });
  const unread = useUnreadCount() ?? 0;
  const markRead = useMarkRead();
  const markAll = useSubmit(() => markRead('all'));

  return (
    <Stack>
      <Group justify="space-between">
        <Group gap="xs">
          <Title order={2}>{t('notifications.inbox.title')}</Title>
          {unread > 0 && (
            <Badge color="red" variant="light" data-testid="inbox-unread">
              {t('notifications.inbox.unreadCount', { count: unread })}
            </Badge>
          )}
        </Group>
        <Button
          size="xs"
          variant="default"
          disabled={unread === 0}
          loading={markAll.busy}
          onClick={() => void markAll.run()}
        >
          {t('notifications.markAllRead')}
        </Button>
      </Group>
      <Switch
        label={t('notifications.inbox.unreadOnly')}
        checked={unreadOnly}
        onChange={(e) => setUnreadOnly(e.currentTarget.checked)}
      />
      <ProblemAlert error={inbox.error ?? markAll.error} />
      {inbox.loaded && inbox.items.length === 0 ? (
        <Text c="dimmed">{unreadOnly ? t('notifications.noneUnread') : t('notifications.none')}</Text>
      ) : (
        <Card withBorder p="xs">
          <Stack gap={4} data-testid="inbox-list">
            {inbox.items.map((item) => (
              <NotificationItem key={item.id} item={item} lines={4} />
            ))}
          </Stack>
        </Card>
      )}
      <LoadMore list={inbox} />
    </Stack>
  );
}
