// The restore wizard: choose a backup → what to restore (everything, some tables, one
// organization; an organization admin restores their own organization only) → a dry run, whose
// report says per table what would be added, changed and removed → confirmation → the restore,
// followed every second, → its result with the id of the full safety backup taken just before it.
// Organization admins go as far as the installation's restore policy allows (disabled: nothing;
// dry_run: dry runs only).
import {
  Alert,
  Anchor,
  Button,
  Checkbox,
  Group,
  MultiSelect,
  Progress,
  SegmentedControl,
  Select,
  Stack,
  Stepper,
  Text,
  Title,
} from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { api, call } from '../../api/client.ts';
import { key, queryClient, useApiQuery } from '../../api/queries.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { useFormat } from '../../format/useFormat.ts';
import { useMe } from '../../session/SessionProvider.tsx';
import { RunStatusBadge } from './badges.tsx';
import { bytes, isActive, type RestoreReport, typeName } from './labels.ts';
import { RestoreReportTable, tableChangesOf } from './RestoreReportTable.tsx';

type ScopeKind = 'all' | 'tables' | 'organization';
const STEP = { backup: 0, scope: 1, report: 2, confirm: 3, result: 4 } as const;
/** The fields the wizard shows (a table of the list is named "tables[2]"). */
const FIELDS = [
  'backup_id',
  'scope',
  'tables',
  ...Array.from({ length: 200 }, (_, i) => `tables[${i}]`),
  'organization_id',
  'dry_run',
];

export default function RestoreWizardPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const me = useMe();
  const superAdmin = me.user.isSuperAdmin;
  const [params] = useSearchParams();
  const phone = useMediaQuery('(max-width: 48em)');
  const [step, setStep] = useState<number>(STEP.backup);
  const [backupId, setBackupId] = useState<string | null>(params.get('backup'));
  const [scope, setScope] = useState<ScopeKind>(superAdmin ? 'all' : 'organization');
  const [tables, setTables] = useState<string[]>([]);
  const [orgId, setOrgId] = useState<string | null>(superAdmin ? null : (me.organization?.id ?? null));
  const [report, setReport] = useState<RestoreReport | null>(null);
  const [understood, setUnderstood] = useState(false);
  const [restoreId, setRestoreId] = useState<string | null>(null);

  const backups = useApiQuery(key('backups', 'list', 'restorable'), () =>
    call(api.GET('/api/v1/backup/list', { params: { query: { status: 'succeeded', limit: 100 } } })),
  );
  const chosen = useApiQuery(
    key('backups', 'run', backupId),
    () => call(api.GET('/api/v1/backup/runs/{id}', { params: { path: { id: backupId ?? '' } } })),
    { enabled: !!backupId },
  );
  const policy = useApiQuery(key('backups', 'restore-policy'), () =>
    call(api.GET('/api/v1/backup/restore-policy')),
  );
  const orgs = useApiQuery(key('organization', 'all'), () => call(api.GET('/api/v1/admin/organizations')), {
    enabled: superAdmin,
  });
  const orgRestore = superAdmin ? 'enabled' : (policy.data?.orgRestore ?? null);
  const mayApply = orgRestore === 'enabled';

  const options = (backups.data?.items ?? []).map((r) => ({
    value: r.id,
    label: t('backups.restore.backupOption', {
      time: f.dateTime(r.finishedAt ?? r.createdAt),
      type: typeName(t, r.type),
      size: bytes(f, r.storedBytes),
    }),
  }));
  if (backupId && chosen.data?.id === backupId && !options.some((o) => o.value === backupId))
    options.unshift({
      value: backupId,
      label: t('backups.restore.backupOption', {
        time: f.dateTime(chosen.data.finishedAt ?? chosen.data.createdAt),
        type: typeName(t, chosen.data.type),
        size: bytes(f, chosen.data.storedBytes),
      }),
    });

  const body = (dryRun: boolean) => ({
    backup_id: backupId ?? '',
    scope: scope === 'organization' ? ('organization' as const) : ('all' as const),
    ...(scope === 'tables' ? { tables } : {}),
    ...(scope === 'organization' && orgId ? { organization_id: orgId } : {}),
    dry_run: dryRun,
  });
  const dryRun = useSubmit(async () => {
    const result = await call(api.POST('/api/v1/backup/recover', { body: body(true) }));
    if (!('tables' in result)) throw new Error('the dry run answered no report');
    setReport(result);
    setUnderstood(false);
    setStep(STEP.report);
    await queryClient.invalidateQueries({ queryKey: ['backups', 'restores'] });
  }, FIELDS);
  const apply = useSubmit(async () => {
    const result = await call(api.POST('/api/v1/backup/recover', { body: body(false) }));
    if (!('id' in result)) throw new Error('the restore was not queued');
    setRestoreId(result.id);
    setStep(STEP.result);
  }, FIELDS);
  // A refused table of the list ("tables[2]") shows beside the picker.
  const fieldError = (field: string) =>
    dryRun.fieldError(field) ??
    (field === 'tables' ? tables.map((_, i) => dryRun.fieldError(`tables[${i}]`)).find(Boolean) : undefined);

  const restart = () => {
    setStep(STEP.backup);
    setReport(null);
    setRestoreId(null);
    setUnderstood(false);
  };

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('backups.restore.title')}</Title>
        <Anchor component={Link} to="/backups/restores" size="sm">
          {t('backups.restore.history')}
        </Anchor>
      </Group>
      <ProblemAlert error={backups.error ?? policy.error} />
      {!superAdmin && orgRestore === 'disabled' && (
        <Alert color="red" data-testid="policy-disabled">
          {t('backups.restore.policyDisabled')}
        </Alert>
      )}
      <Stepper
        active={step}
        onStepClick={(s) => {
          // Back to an earlier step only (before the restore was sent).
          if (s < step && step < STEP.result) setStep(s);
        }}
        orientation={phone ? 'vertical' : 'horizontal'}
        size="sm"
      >
        <Stepper.Step label={t('backups.restore.stepBackup')}>
          <Stack gap="sm" mt="md" data-testid="step-backup">
            {backups.data && options.length === 0 ? (
              <Text c="dimmed">{t('backups.restore.noBackups')}</Text>
            ) : (
              <Select
                label={t('backups.restore.backup')}
                data={options}
                value={backupId}
                onChange={setBackupId}
                searchable
                maxDropdownHeight={280}
                error={fieldError('backup_id')}
              />
            )}
            {chosen.data && chosen.data.id === backupId && (
              <Group gap="xs">
                <RunStatusBadge status={chosen.data.status} />
                <Anchor component={Link} to={`/backups/runs/${backupId}`} size="sm" ff="monospace">
                  {backupId}
                </Anchor>
              </Group>
            )}
            <Group>
              <Button disabled={!backupId} onClick={() => setStep(STEP.scope)}>
                {t('backups.restore.next')}
              </Button>
            </Group>
          </Stack>
        </Stepper.Step>
        <Stepper.Step label={t('backups.restore.stepScope')}>
          <Stack gap="sm" mt="md" data-testid="step-scope">
            <ProblemAlert error={dryRun.formError} />
            {superAdmin ? (
              <>
                <Text size="sm" fw={500}>
                  {t('backups.restore.scope')}
                </Text>
                <SegmentedControl
                  aria-label={t('backups.restore.scope')}
                  value={scope}
                  onChange={(v) => setScope(v as ScopeKind)}
                  data={[
                    { value: 'all', label: t('backups.restore.scopeAll') },
                    { value: 'tables', label: t('backups.restore.scopeTables') },
                    { value: 'organization', label: t('backups.restore.scopeOrganization') },
                  ]}
                  orientation={phone ? 'vertical' : 'horizontal'}
                  w="fit-content"
                />
                {scope === 'tables' && (
                  <MultiSelect
                    label={t('backups.restore.tables')}
                    data={(chosen.data?.tables ?? []).map((x) => x.name)}
                    value={tables}
                    onChange={setTables}
                    searchable
                    error={fieldError('tables')}
                  />
                )}
                {scope === 'organization' && (
                  <Select
                    label={t('backups.restore.organization')}
                    data={(orgs.data?.items ?? []).map((o) => ({ value: o.id, label: o.name }))}
                    value={orgId}
                    onChange={setOrgId}
                    searchable
                    error={fieldError('organization_id')}
                  />
                )}
              </>
            ) : (
              <Text size="sm" data-testid="own-organization">
                {t('backups.restore.ownOrganization', { name: me.organization?.name ?? '' })}
              </Text>
            )}
            <Text size="xs" c="dimmed">
              {t('backups.restore.dryRunHint')}
            </Text>
            <Group>
              <Button variant="default" onClick={() => setStep(STEP.backup)}>
                {t('backups.restore.back')}
              </Button>
              <Button
                onClick={() => void dryRun.run()}
                loading={dryRun.busy}
                disabled={orgRestore === 'disabled' || orgRestore === null}
              >
                {t('backups.restore.dryRun')}
              </Button>
            </Group>
          </Stack>
        </Stepper.Step>
        <Stepper.Step label={t('backups.restore.stepReport')}>
          {report && (
            <Stack gap="sm" mt="md" data-testid="step-report">
              <Title order={3}>{t('backups.restore.report')}</Title>
              <Text size="sm" c="dimmed">
                {t('backups.restore.chain', { count: report.chain.length })}
              </Text>
              <RestoreReportTable tables={report.tables} />
              {!mayApply && (
                <Alert color="yellow" data-testid="policy-dry-run">
                  {t('backups.restore.policyDryRun')}
                </Alert>
              )}
              <Group>
                <Button variant="default" onClick={() => setStep(STEP.scope)}>
                  {t('backups.restore.back')}
                </Button>
                <Button disabled={!mayApply} onClick={() => setStep(STEP.confirm)}>
                  {t('backups.restore.continue')}
                </Button>
              </Group>
            </Stack>
          )}
        </Stepper.Step>
        <Stepper.Step label={t('backups.restore.stepConfirm')}>
          <Stack gap="sm" mt="md" data-testid="step-confirm">
            <ProblemAlert error={apply.error} />
            <Alert color="orange" title={t('backups.restore.confirmTitle')}>
              {t('backups.restore.confirmText')}
            </Alert>
            <Checkbox
              label={t('backups.restore.confirmCheck')}
              checked={understood}
              onChange={(e) => setUnderstood(e.currentTarget.checked)}
            />
            <Group>
              <Button variant="default" onClick={() => setStep(STEP.report)}>
                {t('backups.restore.back')}
              </Button>
              <Button
                color="red"
                disabled={!understood}
                loading={apply.busy}
                onClick={() => void apply.run()}
              >
                {t('backups.restore.apply')}
              </Button>
            </Group>
          </Stack>
        </Stepper.Step>
        <Stepper.Step label={t('backups.restore.stepResult')}>
          {restoreId && <RestoreResult id={restoreId} onAnother={restart} />}
        </Stepper.Step>
      </Stepper>
    </Stack>
  );
}

/** The restore after it was sent: followed every second until it is done, then its result. */
function RestoreResult({ id, onAnother }: { id: string; onAnother: () => void }) {
  const { t } = useTranslation();
  const [active, setActive] = useState(true);
  const restore = useApiQuery(
    key('backups', 'restores', id),
    async () => {
      // Not after an error (gone, forbidden): asking every second would not change the answer.
      const r = await call(api.GET('/api/v1/backup/restores/{id}', { params: { path: { id } } })).catch(
        (err: unknown) => {
          setActive(false);
          throw err;
        },
      );
      setActive(isActive(r.status));
      return r;
    },
    active ? { refetchEveryMs: 1000 } : {},
  );
  const r = restore.data;
  const changes = tableChangesOf(r?.report);
  return (
    <Stack gap="sm" mt="md" data-testid="step-result" data-status={r?.status}>
      <ProblemAlert error={restore.error} />
      {(!r || isActive(r.status)) && (
        <>
          <Text>{t('backups.restore.running')}</Text>
          <Progress value={100} animated striped size="xl" aria-label={t('backups.restore.running')} />
        </>
      )}
      {r?.status === 'succeeded' && (
        <Alert color="green" title={t('backups.restore.succeeded')}>
          {r.safetyBackupId && (
            <Text size="sm">
              {t('backups.restore.safetyBackup')}:{' '}
              <Anchor
                component={Link}
                to={`/backups/runs/${r.safetyBackupId}`}
                ff="monospace"
                data-testid="safety-backup"
              >
                {r.safetyBackupId}
              </Anchor>
            </Text>
          )}
        </Alert>
      )}
      {r?.status === 'failed' && (
        <Alert color="red" title={t('backups.restore.failed')} data-testid="restore-error">
          {r.error ? `${r.error.message} (${r.error.code})` : null}
        </Alert>
      )}
      {r?.status === 'succeeded' && changes && (
        <>
          <Title order={3}>{t('backups.restore.reportDone')}</Title>
          <RestoreReportTable tables={changes} />
        </>
      )}
      {r && !isActive(r.status) && (
        <Group>
          <Button variant="default" onClick={onAnother}>
            {t('backups.restore.another')}
          </Button>
        </Group>
      )}
    </Stack>
  );
}
