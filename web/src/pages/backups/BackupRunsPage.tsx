// The backups, newest first, filtered by type and status: when, type, how it started, status,
// stored size, duration, verification. Each opens its detail. While one is queued or running, or
// its verification is pending, the list asks again every two seconds (backups change without
// events reaching this page).
import { Anchor, Select, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, call } from '../../api/client.ts';
import { key, usePagedQuery } from '../../api/queries.ts';
import { ListPage, ListTable } from '../../components/ListPage.tsx';
import { useFormat } from '../../format/useFormat.ts';
import { useSession } from '../../session/SessionProvider.tsx';
import { RunStatusBadge, VerifyBadge } from './badges.tsx';
import {
  BACKUP_TYPES,
  type BackupRun,
  type BackupType,
  bytes,
  duration,
  isActive,
  RUN_STATUSES,
  type RunStatus,
  typeName,
} from './labels.ts';
import { RunBackupButton } from './RunBackupButton.tsx';

export default function BackupRunsPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const { can } = useSession();
  const [type, setType] = useState<BackupType | null>(null);
  const [status, setStatus] = useState<RunStatus | null>(null);
  const runs = usePagedQuery<BackupRun>(key('backups', 'list', type, status), (cursor) =>
    call(
      api.GET('/api/v1/backup/list', {
        params: {
          query: {
            limit: 50,
            ...(type ? { type } : {}),
            ...(status ? { status } : {}),
            ...(cursor ? { cursor } : {}),
          },
        },
      }),
    ),
  );
  // Until each run and its verification are done.
  const active = runs.items.some((r) => isActive(r.status) || r.verify?.status === 'pending');
  const { reload } = runs;
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => void reload(), 2000);
    return () => clearInterval(timer);
  }, [active, reload]);
  const all = t('backups.all');

  return (
    <ListPage
      title={t('backups.runs.title')}
      actions={can('backups:manage') && <RunBackupButton />}
      filters={
        <>
          <Select
            label={t('backups.type.label')}
            placeholder={all}
            clearable
            w={180}
            value={type}
            onChange={(v) => setType(v as BackupType | null)}
            data={BACKUP_TYPES.map((x) => ({ value: x, label: typeName(t, x) }))}
          />
          <Select
            label={t('backups.status.label')}
            placeholder={all}
            clearable
            w={180}
            value={status}
            onChange={(v) => setStatus(v as RunStatus | null)}
            data={RUN_STATUSES.map((x) => ({ value: x, label: t(`backups.status.${x}`) }))}
          />
        </>
      }
    >
      <ListTable
        list={runs}
        minWidth={900}
        empty={<Text c="dimmed">{t('backups.runs.none')}</Text>}
        rowProps={(r) => ({ 'data-run': r.id, 'data-type': r.type, 'data-status': r.status })}
        columns={[
          {
            header: t('backups.runs.started'),
            cell: (r) => (
              <Anchor
                component={Link}
                to={`/backups/runs/${r.id}`}
                size="sm"
                aria-label={t('backups.runs.openWho', { time: f.dateTime(r.startedAt ?? r.createdAt) })}
              >
                {f.dateTime(r.startedAt ?? r.createdAt)}
              </Anchor>
            ),
          },
          { header: t('backups.type.label'), cell: (r) => typeName(t, r.type) },
          { header: t('backups.trigger.label'), cell: (r) => t(`backups.trigger.${r.trigger}`) },
          { header: t('backups.status.label'), cell: (r) => <RunStatusBadge status={r.status} /> },
          { header: t('backups.runs.size'), align: 'right', cell: (r) => bytes(f, r.storedBytes) },
          {
            header: t('backups.runs.duration'),
            align: 'right',
            cell: (r) => duration(f, r.durationMs),
            testId: 'duration',
          },
          {
            header: t('backups.verify.label'),
            cell: (r) => (r.status === 'succeeded' ? <VerifyBadge verify={r.verify} /> : '—'),
          },
        ]}
      />
    </ListPage>
  );
}
