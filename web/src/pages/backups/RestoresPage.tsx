// The restore history, newest first: restores (dry runs and applied), verifications and drills —
// an organization admin sees their organization's only. Each shows its kind, scope, status, the
// backup it used, the safety backup taken before an applied restore, the restore time of drills
// and verifications, and its report per table.
import { Anchor, Badge, Button, Drawer, Stack, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, call } from '../../api/client.ts';
import { key, useApiQuery, usePagedQuery } from '../../api/queries.ts';
import { ListPage, ListTable } from '../../components/ListPage.tsx';
import { useFormat } from '../../format/useFormat.ts';
import { useMe } from '../../session/SessionProvider.tsx';
import { RunStatusBadge } from './badges.tsx';
import { type BackupRestore, duration, isActive } from './labels.ts';
import { RestoreReportTable, tableChangesOf } from './RestoreReportTable.tsx';

const shortId = (id: string) => id.slice(0, 8);

export default function RestoresPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const me = useMe();
  const [open, setOpen] = useState<BackupRestore | null>(null);
  const restores = usePagedQuery<BackupRestore>(key('backups', 'restores', 'list'), (cursor) =>
    call(
      api.GET('/api/v1/backup/restores', { params: { query: { limit: 50, ...(cursor ? { cursor } : {}) } } }),
    ),
  );
  const orgs = useApiQuery(key('organization', 'all'), () => call(api.GET('/api/v1/admin/organizations')), {
    enabled: me.user.isSuperAdmin,
  });
  const orgName = (id: string | null) =>
    id === me.organization?.id
      ? me.organization?.name
      : (orgs.data?.items.find((o) => o.id === id)?.name ?? (id ? shortId(id) : ''));
  const active = restores.items.some((r) => isActive(r.status));
  const { reload } = restores;
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => void reload(), 2000);
    return () => clearInterval(timer);
  }, [active, reload]);

  const scopeText = (r: BackupRestore) => {
    const s = r.scope;
    if (!s) return '—';
    if (s.kind === 'all') return t('backups.restores.scopeAll');
    if (s.kind === 'tables') return t('backups.restores.scopeTables', { count: s.tables.length });
    return `${t('backups.restores.scopeOrganization')}: ${orgName(s.orgId)}`;
  };
  const kindName = (r: BackupRestore) => t(`backups.restores.kind.${r.kind}`);

  return (
    <ListPage title={t('backups.restores.title')}>
      <ListTable
        list={restores}
        minWidth={1000}
        empty={<Text c="dimmed">{t('backups.restores.none')}</Text>}
        rowProps={(r) => ({ 'data-restore': r.id, 'data-kind': r.kind, 'data-status': r.status })}
        columns={[
          { header: t('backups.restores.when'), cell: (r) => f.dateTime(r.createdAt) },
          { header: t('backups.restores.kind.label'), cell: kindName },
          { header: t('backups.restores.scope'), cell: scopeText, testId: 'scope' },
          {
            header: t('backups.restores.mode'),
            cell: (r) =>
              r.kind === 'restore' && (
                <Badge variant="outline" color={r.dryRun ? 'gray' : 'orange'}>
                  {r.dryRun ? t('backups.restores.dryRun') : t('backups.restores.applied')}
                </Badge>
              ),
          },
          { header: t('backups.status.label'), cell: (r) => <RunStatusBadge status={r.status} /> },
          {
            header: t('backups.restores.backup'),
            cell: (r) => (
              <Anchor component={Link} to={`/backups/runs/${r.backupId}`} size="sm" ff="monospace">
                {shortId(r.backupId)}
              </Anchor>
            ),
          },
          {
            header: t('backups.restores.safety'),
            cell: (r) =>
              r.safetyBackupId ? (
                <Anchor component={Link} to={`/backups/runs/${r.safetyBackupId}`} size="sm" ff="monospace">
                  {shortId(r.safetyBackupId)}
                </Anchor>
              ) : (
                '—'
              ),
          },
          {
            header: t('backups.restores.rto'),
            align: 'right',
            cell: (r) => (r.rtoSeconds === null ? '—' : duration(f, r.rtoSeconds * 1000)),
          },
          {
            header: t('backups.restores.report'),
            cell: (r) =>
              r.report || r.error ? (
                <Button
                  size="xs"
                  variant="default"
                  onClick={() => setOpen(r)}
                  aria-label={t('backups.restores.reportWho', {
                    kind: kindName(r),
                    time: f.dateTime(r.createdAt),
                  })}
                >
                  {t('backups.restores.report')}
                </Button>
              ) : (
                '—'
              ),
          },
        ]}
      />
      <Drawer
        opened={open !== null}
        onClose={() => setOpen(null)}
        position="right"
        size="lg"
        title={t('backups.restores.reportTitle')}
      >
        {open && <RestoreDetail restore={open} />}
      </Drawer>
    </ListPage>
  );
}

function RestoreDetail({ restore: r }: { restore: BackupRestore }) {
  const { t } = useTranslation();
  const changes = tableChangesOf(r.report);
  return (
    <Stack data-testid="restore-detail">
      {r.error && (
        <Text c="red" size="sm">
          {r.error.message} ({r.error.code})
        </Text>
      )}
      {changes ? (
        <RestoreReportTable tables={changes} />
      ) : r.report ? (
        <Text size="xs" ff="monospace" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
          {JSON.stringify(r.report, null, 2)}
        </Text>
      ) : (
        <Text c="dimmed">{t('backups.restores.noReport')}</Text>
      )}
    </Stack>
  );
}
