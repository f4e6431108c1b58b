// The bell in the header: my unread count, kept current by the personal event
// notification.created (the cache refetches it; nothing polls), opening the latest notifications
// with "mark all read" and a link to the inbox page.
import {
  ActionIcon,
  Anchor,
  Button,
  Divider,
  Group,
  Indicator,
  Popover,
  ScrollArea,
  Stack,
  Text,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { NotificationItem } from './NotificationItem.tsx';
import { useInbox, useMarkRead, useUnreadCount } from './notificationInbox.ts';
import { ProblemAlert } from './ProblemAlert.tsx';
import { useSubmit } from './useSubmit.ts';

const LATEST = 8;

export function NotificationBell() {
  const { t } = useTranslation();
  const [opened, { toggle, close }] = useDisclosure(false);
  const unread = useUnreadCount() ?? 0;
  const label =
    unread > 0 ? t('notifications.bell.labelUnread', { count: unread }) : t('notifications.bell.label');
  return (
    <Popover opened={opened} onDismiss={close} position="bottom-end" width={340} shadow="md" withArrow>
      <Popover.Target>
        <Indicator
          label={unread > 99 ? '99+' : unread}
          disabled={unread === 0}
          size={16}
          offset={4}
          color="red"
          data-testid="notification-count"
        >
          <ActionIcon
            variant="subtle"
            color="gray"
            size="lg"
            aria-label={label}
            onClick={toggle}
            aria-expanded={opened}
          >
            <BellIcon />
          </ActionIcon>
        </Indicator>
      </Popover.Target>
      <Popover.Dropdown p="xs" data-testid="notification-popover">
        {/* The list loads when the popover opens: the closed bell costs one small request. */}
        {opened && <Latest unread={unread} onOpened={close} />}
      </Popover.Dropdown>
    </Popover>
  );
}

function Latest({ unread, onOpened }: { unread: number; onOpened: () => void }) {
  const { t } = useTranslation();
  const inbox = useInbox({ unread: false, limit: LATEST });
  const markRead = useMarkRead();
  const markAll = useSubmit(() => markRead('all'));
  return (
    <Stack gap="xs">
      <Group justify="space-between" wrap="nowrap">
        <Text fw={600}>{t('notifications.bell.label')}</Text>
        <Button
          size="compact-xs"
          variant="subtle"
          disabled={unread === 0}
          loading={markAll.busy}
          onClick={() => void markAll.run()}
        >
          {t('notifications.markAllRead')}
        </Button>
      </Group>
      <ProblemAlert error={inbox.error ?? markAll.error} />
      {inbox.loaded && inbox.items.length === 0 ? (
        <Text size="sm" c="dimmed">
          {t('notifications.none')}
        </Text>
      ) : (
        <ScrollArea.Autosize mah={380} type="auto">
          <Stack gap={4}>
            {inbox.items.slice(0, LATEST).map((item) => (
              <NotificationItem key={item.id} item={item} onOpened={onOpened} />
            ))}
          </Stack>
        </ScrollArea.Autosize>
      )}
      <Divider />
      <Anchor component={Link} to="/notifications" size="sm" ta="center" onClick={onOpened}>
        {t('notifications.bell.seeAll')}
      </Anchor>
    </Stack>
  );
}

function BellIcon() {
  return (
    <svg
      width="20"
      height="20"
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
    >
      <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
      <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
    </svg>
  );
}
