// A project, task or client status as a coloured, translated badge.
import { Badge } from '@mantine/core';
import { useTranslation } from 'react-i18next';

const COLORS: Record<string, string> = {
  planning: 'gray',
  active: 'blue',
  on_hold: 'yellow',
  completed: 'green',
  cancelled: 'red',
  pending: 'gray',
  lead: 'grape',
  churned: 'red',
};

export function StatusBadge({ kind, status }: { kind: 'projects' | 'tasks' | 'clients'; status: string }) {
  const { t } = useTranslation();
  return (
    <Badge color={COLORS[status] ?? 'gray'} variant="light">
      {t(`${kind}.status.${status}` as 'projects.status.active')}
    </Badge>
  );
}
