// Creates a rule (`rule` null) or changes one: its event type, recipients (who the event is about,
// or a role, a department, a permission, chosen members), channels, priority, whether the member
// who caused the event hears of it too, and whether it is on.
import {
  ActionIcon,
  Button,
  Card,
  Group,
  MultiSelect,
  Select,
  Stack,
  Switch,
  Text,
  TextInput,
} from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { key, useApiQuery } from '../../api/queries.ts';
import { MembersPicker } from '../../components/MembersPicker.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { RemoteSelect } from '../../components/RemoteSelect.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { DELIVERY_CHANNELS, PRIORITIES, RULE_EVENT_TYPES } from './catalogue.ts';
import { channelName, priorityName, recipientKindName } from './labels.ts';
import { departmentOptions, roleOptions } from './options.ts';
import type { DeliveryChannel, NotificationRule, Priority, RecipientSpec, RuleEventType } from './types.ts';

const RECIPIENT_KINDS = [
  'assignee',
  'watchers',
  'project_owner',
  'subject_user',
  'client_contacts',
  'event_recipients',
  'role',
  'department',
  'permission',
  'users',
] as const satisfies readonly RecipientSpec['kind'][];
type RecipientKind = (typeof RECIPIENT_KINDS)[number];

/** A recipient row while it is edited: the kind and whichever choice that kind needs. */
interface Draft {
  kind: RecipientKind;
  roleId: string | null;
  departmentId: string | null;
  permission: string | null;
  userIds: string[];
}

const draftOf = (r: RecipientSpec): Draft => ({
  kind: r.kind,
  roleId: 'roleId' in r ? r.roleId : null,
  departmentId: 'departmentId' in r ? r.departmentId : null,
  permission: 'permission' in r ? r.permission : null,
  userIds: 'userIds' in r ? [...r.userIds] : [],
});
const blank = (kind: RecipientKind = 'assignee'): Draft => ({
  kind,
  roleId: null,
  departmentId: null,
  permission: null,
  userIds: [],
});

/** The API's recipient (a missing choice goes as an empty string: the API names the field). */
function specOf(d: Draft): RecipientSpec {
  if (d.kind === 'role') return { kind: 'role', roleId: d.roleId ?? '' };
  if (d.kind === 'department') return { kind: 'department', departmentId: d.departmentId ?? '' };
  if (d.kind === 'permission')
    return {
      kind: 'permission',
      permission: (d.permission ?? '') as Extract<RecipientSpec, { kind: 'permission' }>['permission'],
    };
  if (d.kind === 'users') return { kind: 'users', userIds: d.userIds };
  return { kind: d.kind };
}

/** The fields this form shows beside their errors (others go in the alert above it). */
const shownFields = (rows: number) => [
  'name',
  'eventType',
  'recipients',
  'channels',
  'priority',
  ...Array.from({ length: rows }, (_, i) =>
    ['', '.kind', '.roleId', '.departmentId', '.permission', '.userIds'].map((f) => `recipients.${i}${f}`),
  ).flat(),
];

export function RuleForm(props: { rule: NotificationRule | null; onSaved: () => void }) {
  const { t } = useTranslation();
  const rule = props.rule;
  const [name, setName] = useState(rule?.name ?? '');
  const [eventType, setEventType] = useState<string | null>(rule?.eventType ?? null);
  const [recipients, setRecipients] = useState<Draft[]>(rule ? rule.recipients.map(draftOf) : [blank()]);
  const [channels, setChannels] = useState<string[]>(rule?.channels ?? ['in_app']);
  const [priority, setPriority] = useState<string>(rule?.priority ?? 'normal');
  const [notifyActor, setNotifyActor] = useState(rule?.notifyActor ?? false);
  const [enabled, setEnabled] = useState(rule?.enabled ?? true);
  const permissions = useApiQuery(key('roles', 'permissions'), () => call(api.GET('/api/v1/permissions')));

  const submit = useSubmit(async () => {
    const body = {
      name: name.trim(),
      eventType: (eventType ?? '') as RuleEventType,
      recipients: recipients.map(specOf),
      channels: channels as DeliveryChannel[],
      priority: priority as Priority,
      notifyActor,
      enabled,
    };
    if (rule)
      await call(api.PATCH('/api/v1/notifications/rules/{id}', { params: { path: { id: rule.id } }, body }));
    else await call(api.POST('/api/v1/notifications/rules', { body }));
    props.onSaved();
  }, shownFields(recipients.length));
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  const setRow = (i: number, next: Partial<Draft>) =>
    setRecipients((rows) => rows.map((r, j) => (j === i ? { ...r, ...next } : r)));
  const permissionData = (permissions.data?.permissions ?? [])
    .filter((p) => !p.platformOnly)
    .map((p) => ({ value: p.name, label: p.name }));

  return (
    <form
      onSubmit={onSubmit}
      noValidate
      aria-label={rule ? t('notificationSetup.rules.change') : t('notificationSetup.rules.new')}
    >
      <Stack gap="sm">
        <ProblemAlert error={submit.formError} />
        <TextInput
          label={t('common.name')}
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={submit.fieldError('name')}
          required
        />
        <Select
          label={t('notificationSetup.eventType')}
          data={RULE_EVENT_TYPES}
          value={eventType}
          onChange={setEventType}
          searchable
          required
          error={submit.fieldError('eventType')}
        />
        <Text size="sm" fw={500}>
          {t('notificationSetup.rules.recipients')}
        </Text>
        {submit.fieldError('recipients') && (
          <Text size="xs" c="red">
            {submit.fieldError('recipients')}
          </Text>
        )}
        {recipients.map((r, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional (errors name recipients.<i>)
          <Card withBorder p="xs" key={i} data-recipient={i}>
            <Group align="start" wrap="nowrap" gap="xs">
              <Stack gap="xs" style={{ flex: 1 }}>
                <Select
                  aria-label={t('notificationSetup.rules.recipientN', { n: i + 1 })}
                  data={RECIPIENT_KINDS.map((k) => ({ value: k, label: recipientKindName(t, k) }))}
                  value={r.kind}
                  onChange={(k) => k && setRow(i, blank(k as RecipientKind))}
                  allowDeselect={false}
                  error={submit.fieldError(`recipients.${i}`) ?? submit.fieldError(`recipients.${i}.kind`)}
                />
                {r.kind === 'role' && (
                  <RemoteSelect
                    source={roleOptions}
                    label={t('notificationSetup.rules.role')}
                    value={r.roleId}
                    onChange={(v) => setRow(i, { roleId: v })}
                    error={submit.fieldError(`recipients.${i}.roleId`)}
                  />
                )}
                {r.kind === 'department' && (
                  <RemoteSelect
                    source={departmentOptions}
                    label={t('notificationSetup.rules.department')}
                    value={r.departmentId}
                    onChange={(v) => setRow(i, { departmentId: v })}
                    error={submit.fieldError(`recipients.${i}.departmentId`)}
                  />
                )}
                {r.kind === 'permission' && (
                  <Select
                    label={t('notificationSetup.rules.permission')}
                    data={permissionData}
                    value={r.permission}
                    onChange={(v) => setRow(i, { permission: v })}
                    searchable
                    error={submit.fieldError(`recipients.${i}.permission`)}
                  />
                )}
                {r.kind === 'users' && (
                  <MembersPicker
                    addLabel={t('notificationSetup.rules.addMember')}
                    removeLabel={(name) => t('notificationSetup.rules.removeMember', { name })}
                    value={r.userIds}
                    onChange={(userIds) => setRow(i, { userIds })}
                    error={submit.fieldError(`recipients.${i}.userIds`)}
                  />
                )}
              </Stack>
              <ActionIcon
                variant="default"
                disabled={recipients.length === 1}
                aria-label={t('notificationSetup.rules.removeRecipient', { n: i + 1 })}
                onClick={() => setRecipients((rows) => rows.filter((_, j) => j !== i))}
              >
                ×
              </ActionIcon>
            </Group>
          </Card>
        ))}
        <Group>
          <Button size="xs" variant="default" onClick={() => setRecipients((rows) => [...rows, blank()])}>
            {t('notificationSetup.rules.addRecipient')}
          </Button>
        </Group>
        <MultiSelect
          label={t('notificationSetup.rules.channels')}
          data={DELIVERY_CHANNELS.map((c) => ({ value: c, label: channelName(t, c) }))}
          value={channels}
          onChange={setChannels}
          required
          error={submit.fieldError('channels')}
        />
        <Select
          label={t('notificationSetup.rules.priority')}
          description={t('notificationSetup.rules.priorityHelp')}
          data={PRIORITIES.map((p) => ({ value: p, label: priorityName(t, p) }))}
          value={priority}
          onChange={(p) => p && setPriority(p)}
          allowDeselect={false}
          error={submit.fieldError('priority')}
        />
        <Switch
          label={t('notificationSetup.rules.notifyActor')}
          checked={notifyActor}
          onChange={(e) => setNotifyActor(e.currentTarget.checked)}
        />
        <Switch
          label={t('notificationSetup.rules.enabled')}
          checked={enabled}
          onChange={(e) => setEnabled(e.currentTarget.checked)}
        />
        <Group>
          <Button type="submit" loading={submit.busy}>
            {rule ? t('common.save') : t('notificationSetup.rules.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
