// Creates an alert rule (`rule` null) or changes one: name, type, severity, its conditions (a metric
// of the catalogue, an operator, a threshold, a window in minutes), whether all or any must hold,
// how often it is evaluated, its cooldown, the channels and recipients of its notifications, and
// whether it is on. "Preview" replays the conditions over the last 24 hours (nothing is saved):
// how many times the rule would have fired, on a timeline, beside the first condition's metric.
import { BarChart, LineChart } from '@mantine/charts';
import '@mantine/charts/styles.css';
import {
  ActionIcon,
  Badge,
  Button,
  Card,
  Group,
  MultiSelect,
  NumberInput,
  SegmentedControl,
  Select,
  Stack,
  Switch,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { key, useApiQuery } from '../../api/queries.ts';
import type { BodyOf, Ok } from '../../api/types.ts';
import { ChartOrEmpty, EmptyChart } from '../../components/ChartOrEmpty.tsx';
import { MembersPicker } from '../../components/MembersPicker.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { RemoteSelect } from '../../components/RemoteSelect.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { useFormat } from '../../format/useFormat.ts';
import { useSession } from '../../session/SessionProvider.tsx';
import { DELIVERY_CHANNELS } from '../notification-setup/catalogue.ts';
import { channelName } from '../notification-setup/labels.ts';
import { departmentOptions, roleOptions } from '../notification-setup/options.ts';
import { ALERT_SEVERITIES } from './AlertsPage.tsx';
import { formatValue, metricName, severityName } from './labels.ts';
import type { SeriesMetric } from './types.ts';

export type AlertRule = Ok<'/api/v1/alerts/rules'>['items'][number];
type RuleBody = BodyOf<'/api/v1/alerts/rules', 'post'>;
type Condition = RuleBody['conditions'][number];
type Recipient = NonNullable<RuleBody['recipients']>[number];
type RuleType = RuleBody['type'];
type Severity = RuleBody['severity'];
type Operator = Condition['operator'];
type Preview = Ok<'/api/v1/alerts/rules/preview', 'post'>;
export type AlertScope = 'organization' | 'platform';

const TYPES: Record<RuleType, true> = {
  performance: true,
  security: true,
  system: true,
  business: true,
  compliance: true,
};
export const RULE_TYPES = Object.keys(TYPES) as RuleType[];
const OPS: Record<Operator, true> = { gt: true, gte: true, lt: true, lte: true, eq: true, contains: true };
const OPERATORS = Object.keys(OPS) as Operator[];
const RECIPIENT_KINDS = ['role', 'department', 'permission', 'users'] as const;
type RecipientKind = (typeof RECIPIENT_KINDS)[number];

/** A condition while it is edited: numbers may be blank (the API names the field). */
interface ConditionDraft {
  metric: string | null;
  labels?: Record<string, string>;
  operator: Operator;
  threshold: number | string;
  forMinutes: number | string;
}
interface RecipientDraft {
  kind: RecipientKind;
  roleId: string | null;
  departmentId: string | null;
  permission: string | null;
  userIds: string[];
}

const blankCondition = (): ConditionDraft => ({ metric: null, operator: 'gt', threshold: '', forMinutes: 5 });
const blankRecipient = (kind: RecipientKind = 'role'): RecipientDraft => ({
  kind,
  roleId: null,
  departmentId: null,
  permission: null,
  userIds: [],
});
const draftOfRecipient = (r: Recipient): RecipientDraft => ({
  ...blankRecipient(r.kind),
  ...('roleId' in r ? { roleId: r.roleId } : {}),
  ...('departmentId' in r ? { departmentId: r.departmentId } : {}),
  ...('permission' in r ? { permission: r.permission } : {}),
  ...('userIds' in r ? { userIds: [...r.userIds] } : {}),
});
function recipientOf(d: RecipientDraft): Recipient {
  if (d.kind === 'role') return { kind: 'role', roleId: d.roleId ?? '' };
  if (d.kind === 'department') return { kind: 'department', departmentId: d.departmentId ?? '' };
  if (d.kind === 'permission')
    return {
      kind: 'permission',
      permission: (d.permission ?? '') as Extract<Recipient, { kind: 'permission' }>['permission'],
    };
  return { kind: 'users', userIds: d.userIds };
}
/** A number typed in a field, or NaN when blank (sent as is: the API refuses it naming the field). */
const num = (v: number | string) => (typeof v === 'number' ? v : v.trim() === '' ? Number.NaN : Number(v));
function conditionOf(c: ConditionDraft): Condition {
  return {
    metric: c.metric ?? '',
    ...(c.labels && Object.keys(c.labels).length > 0 ? { labels: c.labels } : {}),
    operator: c.operator,
    threshold: num(c.threshold),
    forMinutes: num(c.forMinutes),
  };
}

const shownFields = (conditions: number, recipients: number) => [
  'name',
  'description',
  'type',
  'severity',
  'conditions',
  'evaluateEverySeconds',
  'cooldownMinutes',
  'channels',
  'recipients',
  ...Array.from({ length: conditions }, (_, i) =>
    ['', '.metric', '.operator', '.threshold', '.forMinutes', '.labels'].map((f) => `conditions.${i}${f}`),
  ).flat(),
  ...Array.from({ length: recipients }, (_, i) =>
    ['', '.kind', '.roleId', '.departmentId', '.permission', '.userIds'].map((f) => `recipients.${i}${f}`),
  ).flat(),
];

export function AlertRuleForm(props: { rule: AlertRule | null; scope: AlertScope; onSaved: () => void }) {
  const { t } = useTranslation();
  const { can } = useSession();
  const { rule, scope } = props;
  const [name, setName] = useState(rule?.name ?? '');
  const [description, setDescription] = useState(rule?.description ?? '');
  const [type, setType] = useState<RuleType>(rule?.type ?? 'performance');
  const [severity, setSeverity] = useState<Severity>(rule?.severity ?? 'warning');
  const [conditions, setConditions] = useState<ConditionDraft[]>(
    rule ? rule.conditions.map((c) => ({ ...c })) : [blankCondition()],
  );
  const [match, setMatch] = useState<'all' | 'any'>(rule?.match ?? 'all');
  const [evaluateEvery, setEvaluateEvery] = useState<number | string>(rule?.evaluateEverySeconds ?? 60);
  const [cooldown, setCooldown] = useState<number | string>(rule?.cooldownMinutes ?? 15);
  const [channels, setChannels] = useState<string[]>(rule?.channels ?? ['in_app', 'email']);
  const [recipients, setRecipients] = useState<RecipientDraft[]>(
    rule ? rule.recipients.map(draftOfRecipient) : [],
  );
  const [enabled, setEnabled] = useState(rule?.enabled ?? true);
  const [preview, setPreview] = useState<{ result: Preview; condition: Condition } | null>(null);

  const catalogue = useApiQuery(
    key('monitoring', 'metrics'),
    () => call(api.GET('/api/v1/monitoring/metrics')),
    {
      enabled: can('monitoring:read'),
    },
  );
  const permissions = useApiQuery(key('roles', 'permissions'), () => call(api.GET('/api/v1/permissions')));
  // The catalogue's metrics allowed for the rule's scope, and those the rule names already (a member
  // without monitoring:read cannot read the catalogue, but still sees and keeps the rule's own).
  const catalogued = (catalogue.data?.metrics ?? [])
    .filter((m) => m.scope === 'both' || m.scope === (scope === 'platform' ? 'platform' : 'org'))
    .map((m) => m.name);
  const named = conditions.map((c) => c.metric).filter((m): m is string => !!m && !catalogued.includes(m));
  const metricData = [...new Set([...catalogued, ...named])].map((m) => ({
    value: m,
    label: `${metricName(t, m)} (${m})`,
  }));
  const unitOf = (metric: string | null) =>
    catalogue.data?.metrics.find((m) => m.name === metric)?.unit ?? 'count';

  const submit = useSubmit(
    async () => {
      const fields = {
        name: name.trim(),
        description: description.trim(),
        type,
        severity,
        conditions: conditions.map(conditionOf),
        match,
        evaluateEverySeconds: num(evaluateEvery),
        cooldownMinutes: num(cooldown),
        channels: channels as NonNullable<RuleBody['channels']>,
        recipients: recipients.map(recipientOf),
        enabled,
      };
      if (rule)
        await call(
          api.PATCH('/api/v1/alerts/rules/{id}', {
            params: { path: { id: rule.id }, query: { scope } },
            body: fields,
          }),
        );
      else await call(api.POST('/api/v1/alerts/rules', { body: { ...fields, scope } }));
      props.onSaved();
    },
    shownFields(conditions.length, recipients.length),
  );

  const previewRun = useSubmit(
    async () => {
      const body = {
        conditions: conditions.map(conditionOf),
        match,
        evaluateEverySeconds: num(evaluateEvery),
        cooldownMinutes: num(cooldown),
        scope,
      };
      const result = await call(api.POST('/api/v1/alerts/rules/preview', { body }));
      setPreview({ result, condition: body.conditions[0]! });
    },
    shownFields(conditions.length, 0),
  );
  const fieldError = (f: string) => submit.fieldError(f) ?? previewRun.fieldError(f);

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  const setCondition = (i: number, next: Partial<ConditionDraft>) =>
    setConditions((rows) => rows.map((r, j) => (j === i ? { ...r, ...next } : r)));
  const setRecipient = (i: number, next: Partial<RecipientDraft>) =>
    setRecipients((rows) => rows.map((r, j) => (j === i ? { ...r, ...next } : r)));
  const permissionData = (permissions.data?.permissions ?? [])
    .filter((p) => !p.platformOnly)
    .map((p) => ({ value: p.name, label: p.name }));

  return (
    <form
      onSubmit={onSubmit}
      noValidate
      aria-label={rule ? t('operations.rules.change') : t('operations.rules.new')}
    >
      <Stack gap="sm">
        <ProblemAlert error={submit.formError} />
        <ProblemAlert error={catalogue.error} />
        {rule?.builtinKey && (
          <Badge variant="light" color="gray" w="fit-content">
            {t('operations.rules.builtin')}
          </Badge>
        )}
        <TextInput
          label={t('common.name')}
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={fieldError('name')}
          required
        />
        <Textarea
          label={t('operations.rules.description')}
          value={description}
          onChange={(e) => setDescription(e.currentTarget.value)}
          error={fieldError('description')}
          autosize
          minRows={1}
        />
        <Group grow>
          <Select
            label={t('operations.rules.typeLabel')}
            data={RULE_TYPES.map((x) => ({ value: x, label: t(`operations.rules.type.${x}`) }))}
            value={type}
            onChange={(v) => v && setType(v as RuleType)}
            allowDeselect={false}
            error={fieldError('type')}
          />
          <Select
            label={t('operations.rules.severityLabel')}
            data={ALERT_SEVERITIES.map((x) => ({ value: x, label: severityName(t, x) }))}
            value={severity}
            onChange={(v) => v && setSeverity(v as Severity)}
            allowDeselect={false}
            error={fieldError('severity')}
          />
        </Group>
        <Text size="sm" fw={500}>
          {t('operations.rules.conditions')}
        </Text>
        {fieldError('conditions') && (
          <Text size="xs" c="red">
            {fieldError('conditions')}
          </Text>
        )}
        {conditions.map((c, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional (errors name conditions.<i>)
          <Card withBorder p="xs" key={i} data-condition={i}>
            <Group align="start" wrap="nowrap" gap="xs">
              <Stack gap="xs" style={{ flex: 1 }}>
                <Select
                  label={t('operations.rules.metric')}
                  aria-label={`${t('operations.rules.conditionN', { n: i + 1 })}: ${t('operations.rules.metric')}`}
                  data={metricData}
                  value={c.metric}
                  onChange={(v) => setCondition(i, { metric: v, labels: undefined })}
                  searchable
                  error={fieldError(`conditions.${i}.metric`) ?? fieldError(`conditions.${i}`)}
                />
                <Group grow gap="xs" align="start">
                  <Select
                    label={t('operations.rules.operatorLabel')}
                    data={OPERATORS.map((o) => ({ value: o, label: t(`operations.rules.operator.${o}`) }))}
                    value={c.operator}
                    onChange={(v) => v && setCondition(i, { operator: v as Operator })}
                    allowDeselect={false}
                    error={fieldError(`conditions.${i}.operator`)}
                  />
                  <NumberInput
                    label={t('operations.rules.threshold')}
                    value={c.threshold}
                    onChange={(v) => setCondition(i, { threshold: v })}
                    error={fieldError(`conditions.${i}.threshold`)}
                  />
                  <NumberInput
                    label={t('operations.rules.forMinutes')}
                    value={c.forMinutes}
                    min={0}
                    onChange={(v) => setCondition(i, { forMinutes: v })}
                    error={fieldError(`conditions.${i}.forMinutes`)}
                  />
                </Group>
              </Stack>
              <ActionIcon
                variant="default"
                disabled={conditions.length === 1}
                aria-label={t('operations.rules.removeCondition', { n: i + 1 })}
                onClick={() => setConditions((rows) => rows.filter((_, j) => j !== i))}
              >
                ×
              </ActionIcon>
            </Group>
          </Card>
        ))}
        <Group justify="space-between">
          <Button
            size="xs"
            variant="default"
            onClick={() => setConditions((rows) => [...rows, blankCondition()])}
            disabled={conditions.length >= 10}
          >
            {t('operations.rules.addCondition')}
          </Button>
          {conditions.length > 1 && (
            <SegmentedControl
              size="xs"
              aria-label={t('operations.rules.match.label')}
              value={match}
              onChange={(v) => setMatch(v as 'all' | 'any')}
              data={[
                { value: 'all', label: t('operations.rules.match.all') },
                { value: 'any', label: t('operations.rules.match.any') },
              ]}
            />
          )}
        </Group>
        <Group grow align="start">
          <NumberInput
            label={t('operations.rules.evaluateEvery')}
            value={evaluateEvery}
            step={15}
            min={15}
            onChange={setEvaluateEvery}
            error={fieldError('evaluateEverySeconds')}
          />
          <NumberInput
            label={t('operations.rules.cooldown')}
            value={cooldown}
            min={1}
            onChange={setCooldown}
            error={fieldError('cooldownMinutes')}
          />
        </Group>
        <Card withBorder p="xs" data-testid="rule-preview">
          <Stack gap="xs">
            <Group justify="space-between">
              <Title order={5}>{t('operations.rules.preview.title')}</Title>
              <Button
                size="xs"
                variant="light"
                loading={previewRun.busy}
                onClick={() => void previewRun.run()}
              >
                {t('operations.rules.preview.run')}
              </Button>
            </Group>
            <ProblemAlert error={previewRun.formError} />
            {preview && (
              <PreviewResult
                preview={preview.result}
                condition={preview.condition}
                scope={scope}
                unit={unitOf(preview.condition.metric)}
              />
            )}
          </Stack>
        </Card>
        <MultiSelect
          label={t('operations.rules.channels')}
          data={DELIVERY_CHANNELS.map((c) => ({ value: c, label: channelName(t, c) }))}
          value={channels}
          onChange={setChannels}
          error={fieldError('channels')}
        />
        <Text size="sm" fw={500}>
          {t('operations.rules.recipients')}
        </Text>
        <Text size="xs" c="dimmed">
          {t('operations.rules.recipientsHelp')}
        </Text>
        {fieldError('recipients') && (
          <Text size="xs" c="red">
            {fieldError('recipients')}
          </Text>
        )}
        {recipients.map((r, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional (errors name recipients.<i>)
          <Card withBorder p="xs" key={i} data-recipient={i}>
            <Group align="start" wrap="nowrap" gap="xs">
              <Stack gap="xs" style={{ flex: 1 }}>
                <Select
                  aria-label={t('operations.rules.recipientN', { n: i + 1 })}
                  data={RECIPIENT_KINDS.map((k) => ({
                    value: k,
                    label: t(`operations.rules.recipientKind.${k}`),
                  }))}
                  value={r.kind}
                  onChange={(k) => k && setRecipient(i, blankRecipient(k as RecipientKind))}
                  allowDeselect={false}
                  error={fieldError(`recipients.${i}`) ?? fieldError(`recipients.${i}.kind`)}
                />
                {r.kind === 'role' && (
                  <RemoteSelect
                    source={roleOptions}
                    label={t('operations.rules.role')}
                    value={r.roleId}
                    onChange={(v) => setRecipient(i, { roleId: v })}
                    error={fieldError(`recipients.${i}.roleId`)}
                  />
                )}
                {r.kind === 'department' && (
                  <RemoteSelect
                    source={departmentOptions}
                    label={t('operations.rules.department')}
                    value={r.departmentId}
                    onChange={(v) => setRecipient(i, { departmentId: v })}
                    error={fieldError(`recipients.${i}.departmentId`)}
                  />
                )}
                {r.kind === 'permission' && (
                  <Select
                    label={t('operations.rules.permission')}
                    data={permissionData}
                    value={r.permission}
                    onChange={(v) => setRecipient(i, { permission: v })}
                    searchable
                    error={fieldError(`recipients.${i}.permission`)}
                  />
                )}
                {r.kind === 'users' && (
                  <MembersPicker
                    addLabel={t('operations.rules.addMember')}
                    removeLabel={(name) => t('operations.rules.removeMember', { name })}
                    value={r.userIds}
                    onChange={(userIds) => setRecipient(i, { userIds })}
                    error={fieldError(`recipients.${i}.userIds`)}
                  />
                )}
              </Stack>
              <ActionIcon
                variant="default"
                aria-label={t('operations.rules.removeRecipient', { n: i + 1 })}
                onClick={() => setRecipients((rows) => rows.filter((_, j) => j !== i))}
              >
                ×
              </ActionIcon>
            </Group>
          </Card>
        ))}
        <Group>
          <Button
            size="xs"
            variant="default"
            onClick={() => setRecipients((rows) => [...rows, blankRecipient()])}
          >
            {t('operations.rules.addRecipient')}
          </Button>
        </Group>
        <Switch
          label={t('operations.rules.enabled')}
          checked={enabled}
          onChange={(e) => setEnabled(e.currentTarget.checked)}
        />
        <Group>
          <Button type="submit" loading={submit.busy}>
            {rule ? t('common.save') : t('operations.rules.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

const HOUR = 3_600_000;

/**
 * What the replay found: how many times the rule would have fired, minutes firing per hour of the
 * last 24 (a timeline), each episode, and the first condition's metric with its threshold.
 */
function PreviewResult(props: { preview: Preview; condition: Condition; scope: AlertScope; unit: string }) {
  const { t } = useTranslation();
  const f = useFormat();
  const { can } = useSession();
  const { preview, condition } = props;
  const from = new Date(preview.from).getTime();
  const to = new Date(preview.to).getTime();
  const hourFmt = new Intl.DateTimeFormat(f.locale, { hour: '2-digit', minute: '2-digit' });
  const buckets = Array.from({ length: Math.max(1, Math.ceil((to - from) / HOUR)) }, (_, i) => ({
    start: from + i * HOUR,
    hour: hourFmt.format(new Date(from + i * HOUR)),
    firing: 0,
  }));
  for (const e of preview.episodes) {
    const start = new Date(e.firedAt ?? e.startedAt).getTime();
    const end = e.resolvedAt ? new Date(e.resolvedAt).getTime() : to;
    for (const b of buckets) {
      const overlap = Math.min(end, b.start + HOUR) - Math.max(start, b.start);
      if (overlap > 0) b.firing += Math.round(overlap / 60_000);
    }
  }
  const labels = condition.labels
    ? Object.entries(condition.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')
    : undefined;
  const series = useApiQuery(
    key('monitoring', 'preview-series', props.scope, condition.metric, labels, preview.from),
    () =>
      call(
        api.GET('/api/v1/monitoring/series', {
          params: {
            query: {
              metric: condition.metric as SeriesMetric,
              from: preview.from,
              to: preview.to,
              step: 300,
              scope: props.scope === 'platform' ? 'platform' : 'org',
              ...(labels ? { labels } : {}),
            },
          },
        }),
      ),
    { enabled: can('monitoring:read') },
  );
  return (
    <Stack gap="xs">
      <Text size="sm" fw={500} data-testid="preview-fired">
        {t('operations.rules.preview.fired', { count: preview.fired })}
      </Text>
      <ChartOrEmpty message={t('operations.rules.preview.fired', { count: 0 })}>
        <BarChart
          h={140}
          data={buckets}
          dataKey="hour"
          series={[{ name: 'firing', label: t('operations.rules.preview.firing'), color: 'red.6' }]}
          valueFormatter={(v) => t('operations.monitoring.stepMinutes', { count: v })}
          yAxisProps={{ allowDecimals: false }}
        />
      </ChartOrEmpty>
      {preview.episodes.map((e) => (
        <Text key={e.startedAt} size="xs" data-testid="preview-episode">
          {t('operations.rules.preview.episode', {
            from: f.dateTime(e.firedAt ?? e.startedAt),
            to: e.resolvedAt ? f.dateTime(e.resolvedAt) : t('operations.rules.preview.stillFiring'),
          })}
          {e.value !== null ? ` · ${formatValue(f, props.unit, e.value)}` : ''}
        </Text>
      ))}
      {series.data &&
        (series.data.points.length === 0 ? (
          <EmptyChart h={140} message={t('operations.monitoring.noData')} />
        ) : (
          <LineChart
            h={160}
            data={series.data.points.map((p) => ({ at: hourFmt.format(new Date(p.at)), value: p.value }))}
            dataKey="at"
            series={[{ name: 'value', label: metricName(t, condition.metric), color: 'indigo.6' }]}
            referenceLines={[
              { y: condition.threshold, label: t('operations.rules.threshold'), color: 'red.6' },
            ]}
            valueFormatter={(v) => formatValue(f, props.unit, v)}
            withDots={false}
          />
        ))}
    </Stack>
  );
}
