// States of backups as coloured, translated badges: a run's status, its verification, the health.
import { Badge } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { type BackupRun, STATUS_COLORS } from './labels.ts';

export function RunStatusBadge({ status }: { status: string }) {
  const { t } = useTranslation();
  return (
    <Badge color={STATUS_COLORS[status] ?? 'gray'} variant="light" data-status={status}>
      {t(`backups.status.${status}` as 'backups.status.queued', { defaultValue: status })}
    </Badge>
  );
}

export function VerifyBadge({ verify }: { verify: BackupRun['verify'] }) {
  const { t } = useTranslation();
  if (!verify)
    return (
      <Badge color="gray" variant="outline" data-verify="none">
        {t('backups.verify.none')}
      </Badge>
    );
  return (
    <Badge color={STATUS_COLORS[verify.status] ?? 'gray'} variant="light" data-verify={verify.status}>
      {t(`backups.verify.${verify.status}`)}
    </Badge>
  );
}

export function HealthBadge({ status }: { status: string }) {
  const { t } = useTranslation();
  return (
    <Badge color={STATUS_COLORS[status] ?? 'gray'} variant="filled" size="lg" data-health={status}>
      {t(`backups.health.${status}` as 'backups.health.ok', { defaultValue: status })}
    </Badge>
  );
}
