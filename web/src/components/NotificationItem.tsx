// One notification of my inbox (in the bell's popover and on the inbox page): an unread dot, its
// subject, the start of its text and how long ago it came. Opening it marks it read and follows
// its link when it has one.
import { Box, Group, Stack, Text, UnstyledButton } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { relativeTime } from '../format/relativeTime.ts';
import { useFormat } from '../format/useFormat.ts';
import { type InboxItem, linkPath, useMarkRead } from './notificationInbox.ts';

export function NotificationItem({
  item,
  lines = 2,
  onOpened,
}: {
  item: InboxItem;
  /** How many lines of the text show. */
  lines?: number;
  /** Called after it was opened (the bell closes its popover). */
  onOpened?: () => void;
}) {
  const { t } = useTranslation();
  const f = useFormat();
  const navigate = useNavigate();
  const markRead = useMarkRead();
  const unread = item.readAt === null;
  const path = linkPath(item.link);

  const open = async () => {
    if (unread) await markRead([item.id]).catch(() => {});
    onOpened?.();
    if (path) navigate(path);
  };

  return (
    <UnstyledButton
      onClick={() => void open()}
      w="100%"
      p="xs"
      data-testid="notification-item"
      data-unread={unread ? 'true' : 'false'}
      style={{ borderRadius: 'var(--mantine-radius-sm)' }}
      bg={unread ? 'var(--mantine-primary-color-light)' : undefined}
    >
      <Group align="flex-start" gap="xs" wrap="nowrap">
        <Box
          mt={6}
          w={8}
          h={8}
          style={{ borderRadius: '50%', flex: 'none' }}
          bg={unread ? 'var(--mantine-primary-color-filled)' : 'transparent'}
          role={unread ? 'img' : undefined}
          aria-label={unread ? t('notifications.unread') : undefined}
        />
        <Stack gap={2} style={{ minWidth: 0, flex: 1 }}>
          {item.subject && (
            <Text size="sm" fw={unread ? 700 : 500} style={{ overflowWrap: 'anywhere' }}>
              {item.subject}
            </Text>
          )}
          <Text size="sm" c="dimmed" lineClamp={lines} style={{ overflowWrap: 'anywhere' }}>
            {item.body}
          </Text>
          <Text size="xs" c="dimmed" title={f.dateTime(item.createdAt)}>
            {relativeTime(f.locale, item.createdAt)}
            {path && ` · ${t('notifications.inbox.open')} →`}
          </Text>
        </Stack>
      </Group>
    </UnstyledButton>
  );
}
