// A notification's status as a coloured, translated badge.
import { Badge } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { type NotificationStatus, STATUS_COLORS } from './types.ts';

export function NotificationStatusBadge({ status }: { status: NotificationStatus }) {
  const { t } = useTranslation();
  return (
    <Badge color={STATUS_COLORS[status]} variant="light" data-status={status}>
      {t(`notifications.status.${status}`)}
    </Badge>
  );
}
