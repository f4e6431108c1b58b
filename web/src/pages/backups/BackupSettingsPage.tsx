// The backup settings (super admins): per type a schedule (cron expression read in a time zone,
// on or off, retries), retention (the newest N, and the newest of each of the last days, weeks and
// months), verification after each backup, the critical tables, what organization admins may
// restore, and the restore drill. The targets are the server's settings, shown read-only. A
// refusal names its field (a cron that does not parse, an unknown time zone or table) beside it.
import {
  Alert,
  Button,
  Card,
  Group,
  NumberInput,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  TagsInput,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { key, queryClient, useApiQuery } from '../../api/queries.ts';
import type { BodyOf } from '../../api/types.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { useFormat } from '../../format/useFormat.ts';
import { type BackupConfigs, ORG_RESTORE_POLICIES, type OrgRestorePolicy, typeName } from './labels.ts';

type UpdateBody = BodyOf<'/api/v1/backup/configs', 'put'>;
/** A number while it is typed: blank is sent as NaN, which the API refuses naming the field. */
type Num = number | string;
const num = (v: Num) => (typeof v === 'number' ? v : v.trim() === '' ? Number.NaN : Number(v));

interface Draft {
  schedules: {
    type: BackupConfigs['schedules'][number]['type'];
    cron: string;
    timeZone: string;
    enabled: boolean;
    retries: Num;
  }[];
  retention: { keepLast: Num; daily: Num; weekly: Num; monthly: Num };
  verifyAfterBackup: boolean;
  criticalTables: string[];
  orgRestore: OrgRestorePolicy;
  drill: { cron: string; timeZone: string; enabled: boolean };
}

const draftOf = (c: BackupConfigs): Draft => ({
  schedules: c.schedules.map((s) => ({
    type: s.type,
    cron: s.cron,
    timeZone: s.timeZone,
    enabled: s.enabled,
    retries: s.retries,
  })),
  retention: { ...c.retention },
  verifyAfterBackup: c.verifyAfterBackup,
  criticalTables: [...c.criticalTables],
  orgRestore: c.orgRestore,
  drill: { cron: c.drill.cron, timeZone: c.drill.timeZone, enabled: c.drill.enabled },
});

const bodyOf = (d: Draft): UpdateBody => ({
  schedules: d.schedules.map((s) => ({ ...s, retries: num(s.retries) })),
  retention: {
    keepLast: num(d.retention.keepLast),
    daily: num(d.retention.daily),
    weekly: num(d.retention.weekly),
    monthly: num(d.retention.monthly),
  },
  verifyAfterBackup: d.verifyAfterBackup,
  criticalTables: d.criticalTables,
  orgRestore: d.orgRestore,
  drill: d.drill,
});

/** A field's path as the API names it: "schedules[0].cron", "retention.daily". */
const fieldPath = (...parts: (string | number)[]) =>
  parts.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
const FIELDS = [
  ...[0, 1, 2, 3].flatMap((i) =>
    ['', 'type', 'cron', 'timeZone', 'enabled', 'retries'].map((k) =>
      k ? fieldPath('schedules', i, k) : fieldPath('schedules', i),
    ),
  ),
  ...['keepLast', 'daily', 'weekly', 'monthly'].map((k) => fieldPath('retention', k)),
  'verifyAfterBackup',
  'criticalTables',
  ...Array.from({ length: 200 }, (_, i) => fieldPath('criticalTables', i)),
  'orgRestore',
  ...['cron', 'timeZone', 'enabled'].map((k) => fieldPath('drill', k)),
];

export default function BackupSettingsPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const configs = useApiQuery(key('backups', 'configs'), () => call(api.GET('/api/v1/backup/configs')));
  // The tables of the latest full backup: what the critical tables are picked from.
  const status = useApiQuery(key('backups', 'status'), () => call(api.GET('/api/v1/backup/status')));
  const lastFull = status.data?.lastByType.full ?? null;
  const fullTables = useApiQuery(
    key('backups', 'run', lastFull?.id),
    () => call(api.GET('/api/v1/backup/runs/{id}', { params: { path: { id: lastFull?.id ?? '' } } })),
    { enabled: !!lastFull && lastFull.status === 'succeeded' },
  );
  const [draft, setDraft] = useState<Draft | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (configs.data && draft === null) setDraft(draftOf(configs.data));
  }, [configs.data, draft]);

  const submit = useSubmit(async () => {
    if (!draft) return;
    setSaved(false);
    const next = await call(api.PUT('/api/v1/backup/configs', { body: bodyOf(draft) }));
    configs.setData(next);
    setDraft(draftOf(next));
    setSaved(true);
    await queryClient.invalidateQueries({ queryKey: ['backups', 'dashboard'] });
  }, FIELDS);
  const fieldError = (...parts: (string | number)[]) => submit.fieldError(fieldPath(...parts));
  const criticalError = () =>
    fieldError('criticalTables') ??
    draft?.criticalTables.map((_, i) => fieldError('criticalTables', i)).find(Boolean);

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  const listed = Intl.supportedValuesOf('timeZone');
  const zonesWith = (...current: string[]) => [...new Set(['UTC', ...current, ...listed])];
  const set = (next: Partial<Draft>) => {
    setSaved(false);
    setDraft((d) => (d ? { ...d, ...next } : d));
  };
  const setSchedule = (i: number, next: Partial<Draft['schedules'][number]>) =>
    set({ schedules: draft?.schedules.map((s, j) => (j === i ? { ...s, ...next } : s)) ?? [] });
  const nextRun = (type: string) => configs.data?.schedules.find((s) => s.type === type)?.nextRunAt ?? null;

  return (
    <Stack>
      <Title order={2}>{t('backups.settings.title')}</Title>
      <ProblemAlert error={configs.error} />
      {!draft && !configs.error && <Text c="dimmed">{t('common.loading')}</Text>}
      {draft && configs.data && (
        <form onSubmit={onSubmit} noValidate aria-label={t('backups.settings.title')}>
          <Stack>
            <ProblemAlert error={submit.formError} />
            <Card withBorder>
              <Title order={3} mb="sm">
                {t('backups.settings.schedules')}
              </Title>
              <Stack>
                {draft.schedules.map((s, i) => (
                  <Card key={s.type} withBorder p="sm" data-schedule={s.type}>
                    <Group justify="space-between" mb="xs">
                      <Text fw={600}>{typeName(t, s.type)}</Text>
                      <Switch
                        label={t('backups.settings.enabled')}
                        aria-label={`${typeName(t, s.type)}: ${t('backups.settings.enabled')}`}
                        checked={s.enabled}
                        onChange={(e) => setSchedule(i, { enabled: e.currentTarget.checked })}
                      />
                    </Group>
                    <SimpleGrid cols={{ base: 1, sm: 3 }}>
                      <TextInput
                        label={t('backups.settings.cron')}
                        aria-label={`${typeName(t, s.type)}: ${t('backups.settings.cron')}`}
                        description={t('backups.settings.cronHint')}
                        value={s.cron}
                        onChange={(e) => setSchedule(i, { cron: e.currentTarget.value })}
                        error={fieldError('schedules', i, 'cron') ?? fieldError('schedules', i, 'type')}
                        ff="monospace"
                      />
                      <Select
                        label={t('backups.settings.timeZone')}
                        aria-label={`${typeName(t, s.type)}: ${t('backups.settings.timeZone')}`}
                        data={zonesWith(s.timeZone)}
                        value={s.timeZone}
                        onChange={(v) => v && setSchedule(i, { timeZone: v })}
                        searchable
                        allowDeselect={false}
                        error={fieldError('schedules', i, 'timeZone')}
                      />
                      <NumberInput
                        label={t('backups.settings.retries')}
                        aria-label={`${typeName(t, s.type)}: ${t('backups.settings.retries')}`}
                        value={s.retries}
                        min={0}
                        max={10}
                        onChange={(v) => setSchedule(i, { retries: v })}
                        error={fieldError('schedules', i, 'retries')}
                      />
                    </SimpleGrid>
                    {s.enabled && nextRun(s.type) && (
                      <Text size="xs" c="dimmed" mt="xs">
                        {t('backups.settings.nextRun', { time: f.dateTime(nextRun(s.type)) })}
                      </Text>
                    )}
                  </Card>
                ))}
              </Stack>
            </Card>
            <Card withBorder>
              <Title order={3} mb="sm">
                {t('backups.settings.retention')}
              </Title>
              <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }}>
                {(['keepLast', 'daily', 'weekly', 'monthly'] as const).map((k) => (
                  <NumberInput
                    key={k}
                    label={t(`backups.settings.${k}`)}
                    value={draft.retention[k]}
                    min={k === 'keepLast' ? 1 : 0}
                    max={1000}
                    onChange={(v) => set({ retention: { ...draft.retention, [k]: v } })}
                    error={fieldError('retention', k)}
                  />
                ))}
              </SimpleGrid>
              <Text size="xs" c="dimmed" mt="xs">
                {t('backups.settings.retentionHint')}
              </Text>
            </Card>
            <Card withBorder>
              <Stack>
                <Switch
                  label={t('backups.settings.verifyAfter')}
                  checked={draft.verifyAfterBackup}
                  onChange={(e) => set({ verifyAfterBackup: e.currentTarget.checked })}
                />
                <TagsInput
                  label={t('backups.settings.criticalTables')}
                  description={t('backups.settings.criticalTablesHint')}
                  data={(fullTables.data?.tables ?? []).map((x) => x.name)}
                  value={draft.criticalTables}
                  onChange={(v) => set({ criticalTables: v })}
                  error={criticalError()}
                  clearable
                />
                <Select
                  label={t('backups.settings.orgRestore')}
                  data={ORG_RESTORE_POLICIES.map((p) => ({
                    value: p,
                    label: t(`backups.settings.orgRestorePolicy.${p}`),
                  }))}
                  value={draft.orgRestore}
                  onChange={(v) => v && set({ orgRestore: v as OrgRestorePolicy })}
                  allowDeselect={false}
                  error={fieldError('orgRestore')}
                  maw={360}
                />
              </Stack>
            </Card>
            <Card withBorder data-testid="drill">
              <Group justify="space-between" mb="xs">
                <Title order={3}>{t('backups.settings.drill')}</Title>
                <Switch
                  label={t('backups.settings.enabled')}
                  aria-label={`${t('backups.settings.drill')}: ${t('backups.settings.enabled')}`}
                  checked={draft.drill.enabled}
                  onChange={(e) => set({ drill: { ...draft.drill, enabled: e.currentTarget.checked } })}
                />
              </Group>
              <Text size="xs" c="dimmed" mb="xs">
                {t('backups.settings.drillHint')}
              </Text>
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <TextInput
                  label={t('backups.settings.cron')}
                  aria-label={`${t('backups.settings.drill')}: ${t('backups.settings.cron')}`}
                  value={draft.drill.cron}
                  onChange={(e) => set({ drill: { ...draft.drill, cron: e.currentTarget.value } })}
                  error={fieldError('drill', 'cron')}
                  ff="monospace"
                />
                <Select
                  label={t('backups.settings.timeZone')}
                  aria-label={`${t('backups.settings.drill')}: ${t('backups.settings.timeZone')}`}
                  data={zonesWith(draft.drill.timeZone)}
                  value={draft.drill.timeZone}
                  onChange={(v) => v && set({ drill: { ...draft.drill, timeZone: v } })}
                  searchable
                  allowDeselect={false}
                  error={fieldError('drill', 'timeZone')}
                />
              </SimpleGrid>
              {draft.drill.enabled && configs.data.drill.nextRunAt && (
                <Text size="xs" c="dimmed" mt="xs">
                  {t('backups.settings.nextRun', { time: f.dateTime(configs.data.drill.nextRunAt) })}
                </Text>
              )}
            </Card>
            <Card withBorder>
              <Title order={3} mb={4}>
                {t('backups.settings.targets')}
              </Title>
              <Text size="xs" c="dimmed" mb="xs">
                {t('backups.settings.targetsHint')}
              </Text>
              {configs.data.targets.map((x) => (
                <Text key={x.role} size="sm" style={{ overflowWrap: 'anywhere' }}>
                  {t(`backups.dashboard.targetRole.${x.role}`)}: {x.description}
                </Text>
              ))}
            </Card>
            {saved && (
              <Alert color="green" data-testid="saved">
                {t('backups.settings.saved')}
              </Alert>
            )}
            <Group>
              <Button type="submit" loading={submit.busy}>
                {t('common.save')}
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Stack>
  );
}
