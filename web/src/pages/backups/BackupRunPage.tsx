// One backup: its progress while it waits or runs (asked again every second: phase, tables done,
// rows, bytes, time left), then what it holds (type, chain parent, sizes, duration, verification,
// second copy, the error if it failed) and its tables. Super admins verify it again from here, and
// any reader starts a restore from it.
import {
  Alert,
  Anchor,
  Button,
  Card,
  Group,
  Progress,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, call } from '../../api/client.ts';
import { key, useApiQuery } from '../../api/queries.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { WideTable } from '../../components/WideTable.tsx';
import { useFormat } from '../../format/useFormat.ts';
import { useSession } from '../../session/SessionProvider.tsx';
import { RunStatusBadge, VerifyBadge } from './badges.tsx';
import { type BackupRunDetail, bytes, duration, isActive, typeName } from './labels.ts';

export default function BackupRunPage() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const [active, setActive] = useState(true);
  const run = useApiQuery(
    key('backups', 'run', id),
    async () => {
      // Not after an error (gone after retention, forbidden): the answer would not change.
      const r = await call(api.GET('/api/v1/backup/runs/{id}', { params: { path: { id } } })).catch(
        (err: unknown) => {
          setActive(false);
          throw err;
        },
      );
      setActive(isActive(r.status) || r.verify?.status === 'pending');
      return r;
    },
    active ? { refetchEveryMs: 1000 } : {},
  );
  const r = run.data?.id === id ? run.data : null;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{r ? t('backups.detail.title', { type: typeName(t, r.type) }) : '…'}</Title>
        <Anchor component={Link} to="/backups/runs" size="sm">
          {t('backups.detail.back')}
        </Anchor>
      </Group>
      <ProblemAlert error={run.error} />
      {r && <RunDetail run={r} onChange={run.reload} />}
    </Stack>
  );
}

function Field({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <Stack gap={2}>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm" component="div" data-testid={testId} style={{ overflowWrap: 'anywhere' }}>
        {children}
      </Text>
    </Stack>
  );
}

function RunDetail({ run: r, onChange }: { run: BackupRunDetail; onChange: () => Promise<void> }) {
  const { t } = useTranslation();
  const f = useFormat();
  const { can } = useSession();
  const [verifyQueued, setVerifyQueued] = useState(false);
  const verify = useSubmit(async () => {
    await call(api.POST('/api/v1/backup/verify', { body: { backup_id: r.id } }));
    setVerifyQueued(true);
    // The run's verification is pending now: the page follows it until it is done.
    await onChange();
  });
  const p = r.progress;
  const running = isActive(r.status);

  return (
    <Stack data-testid="backup-run" data-status={r.status}>
      <Group gap="sm">
        <RunStatusBadge status={r.status} />
        {r.status === 'succeeded' && <VerifyBadge verify={r.verify} />}
        <Text size="sm" c="dimmed">
          {t(`backups.trigger.${r.trigger}`)}
        </Text>
      </Group>
      {(running || (p && r.status !== 'succeeded' && r.status !== 'failed')) && (
        <Card withBorder data-testid="progress">
          <Stack gap="xs">
            <Group justify="space-between">
              <Text fw={500}>{t('backups.detail.progress')}</Text>
              <Text size="sm" c="dimmed" data-testid="phase">
                {p ? t(`backups.phase.${p.phase}`) : t('backups.status.queued')}
              </Text>
            </Group>
            <Progress
              value={p?.percent ?? 0}
              size="xl"
              animated
              striped
              aria-label={t('backups.detail.progress')}
              data-testid="progress-bar"
            />
            {p && (
              <Group gap="lg">
                <Text size="sm">{f.percent((p.percent ?? 0) / 100)}</Text>
                <Text size="sm">
                  {t('backups.detail.tablesDone', {
                    done: f.number(p.tablesDone),
                    total: f.number(p.tablesTotal),
                  })}
                </Text>
                <Text size="sm">
                  {t('backups.runs.rows')}: {f.number(p.rows)}
                </Text>
                <Text size="sm">
                  {bytes(f, p.plainBytes)} → {bytes(f, p.storedBytes)}
                </Text>
                {p.etaSeconds !== null && (
                  <Text size="sm" c="dimmed">
                    {t('backups.detail.eta', { time: duration(f, p.etaSeconds * 1000) })}
                  </Text>
                )}
              </Group>
            )}
          </Stack>
        </Card>
      )}
      {r.error && (
        <Alert color="red" title={t('backups.detail.error')} data-testid="run-error">
          <Text size="sm">
            {r.error.message} ({r.error.code})
          </Text>
        </Alert>
      )}
      <Card withBorder>
        <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }}>
          <Field label={t('backups.detail.id')}>
            <Text size="sm" ff="monospace">
              {r.id}
            </Text>
          </Field>
          <Field label={t('backups.type.label')}>{typeName(t, r.type)}</Field>
          <Field label={t('backups.detail.created')}>{f.dateTime(r.createdAt)}</Field>
          <Field label={t('backups.detail.startedAt')}>{f.dateTime(r.startedAt)}</Field>
          <Field label={t('backups.detail.finishedAt')}>{f.dateTime(r.finishedAt)}</Field>
          <Field label={t('backups.runs.duration')} testId="run-duration">
            {duration(f, r.durationMs)}
          </Field>
          <Field label={t('backups.runs.rows')} testId="run-rows">
            {r.rows === null ? '—' : f.number(r.rows)}
          </Field>
          <Field label={t('backups.detail.plainBytes')}>{bytes(f, r.plainBytes)}</Field>
          <Field label={t('backups.detail.storedBytes')} testId="run-size">
            {bytes(f, r.storedBytes)}
          </Field>
          {r.parentId && (
            <Field label={t('backups.detail.parent')}>
              <Anchor component={Link} to={`/backups/runs/${r.parentId}`} size="sm" ff="monospace">
                {r.parentId}
              </Anchor>
            </Field>
          )}
          {r.copy && <Field label={t('backups.detail.copy')}>{r.copy.status}</Field>}
          {r.attempt > 1 && <Field label={t('backups.detail.attempt')}>{f.number(r.attempt)}</Field>}
          {r.verify?.at && <Field label={t('backups.verify.label')}>{f.dateTime(r.verify.at)}</Field>}
          {r.pinned && <Field label={t('backups.detail.pinned')}>✓</Field>}
        </SimpleGrid>
      </Card>
      {r.status === 'succeeded' && (
        <Group>
          <Button component={Link} to={`/backups/restore?backup=${r.id}`} variant="default">
            {t('backups.detail.restoreFrom')}
          </Button>
          {can('backups:manage') && (
            <Button
              variant="default"
              onClick={() => void verify.run()}
              loading={verify.busy}
              disabled={verifyQueued}
            >
              {t('backups.detail.verifyNow')}
            </Button>
          )}
        </Group>
      )}
      <ProblemAlert error={verify.error} />
      {verifyQueued && (
        <Text size="sm" c="dimmed">
          {t('backups.detail.verifyQueued')}
        </Text>
      )}
      <Card withBorder data-testid="run-tables">
        <Title order={3} mb="sm">
          {t('backups.detail.tables')}
        </Title>
        {r.tables.length === 0 ? (
          <Text c="dimmed" size="sm">
            {t('backups.detail.noTables')}
          </Text>
        ) : (
          <WideTable minWidth={480}>
            <Table highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('backups.detail.table')}</Table.Th>
                  <Table.Th ta="right">{t('backups.runs.rows')}</Table.Th>
                  <Table.Th ta="right">{t('backups.runs.size')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {r.tables.map((x) => (
                  <Table.Tr key={x.name} data-table={x.name}>
                    <Table.Td ff="monospace">{x.name}</Table.Td>
                    <Table.Td ta="right" data-testid="table-rows">
                      {f.number(x.rows)}
                    </Table.Td>
                    <Table.Td ta="right">{bytes(f, x.storedBytes)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </WideTable>
        )}
      </Card>
    </Stack>
  );
}
