// Send a one-off notification (notifications:send): to chosen members, or broadcast to the whole
// organization, a role or a department; on the channels ticked, at a priority; a subject and a
// body (template text the server checks: a template error shows beside the body with its line and
// column). Then the batch's progress.
import {
  Button,
  Card,
  Checkbox,
  Group,
  Radio,
  Select,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { type Option, RemoteSelect } from '../../components/RemoteSelect.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { useRoleName } from '../admin/useRoleName.ts';
import { departmentOptions, roleOptions } from './audienceOptions.ts';
import { type Batch, BatchSummary } from './BatchSummary.tsx';
import { MemberPicker } from './MemberPicker.tsx';
import { CHANNELS, type Channel, PRIORITIES, type Priority } from './types.ts';

type Kind = 'members' | 'organization' | 'role' | 'department';
const KINDS: readonly Kind[] = ['members', 'organization', 'role', 'department'];

export default function SendPage() {
  const { t, i18n } = useTranslation();
  const roleName = useRoleName();
  const language = i18n.resolvedLanguage ?? 'en';
  // biome-ignore lint/correctness/useExhaustiveDependencies: role names change with the language only
  const roles = useMemo(() => roleOptions(roleName, language), [language]);
  const [kind, setKind] = useState<Kind>('members');
  const [members, setMembers] = useState<Option[]>([]);
  const [roleId, setRoleId] = useState<string | null>(null);
  const [departmentId, setDepartmentId] = useState<string | null>(null);
  const [channels, setChannels] = useState<Channel[]>(['in_app']);
  const [priority, setPriority] = useState<Priority>('normal');
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [batch, setBatch] = useState<Batch | null>(null);

  const fields = [
    'to',
    ...members.map((_, i) => `to.userIds.${i}`),
    'audience',
    'audience.roleId',
    'audience.departmentId',
    'channels',
    'priority',
    'message.subject',
    'message.body',
  ];
  const submit = useSubmit(async () => {
    const message = { subject: subject.trim() || null, body };
    const common = { channels, priority, message };
    setBatch(null);
    if (kind === 'members') {
      const r = await call(
        api.POST('/api/v1/notifications/send', {
          body: { to: { userIds: members.map((m) => m.value) }, ...common },
        }),
      );
      setBatch({ batchId: r.batchId, total: r.total, counts: r.counts });
      return;
    }
    const audience =
      kind === 'role'
        ? { kind, roleId: roleId ?? '' }
        : kind === 'department'
          ? { kind, departmentId: departmentId ?? '' }
          : { kind };
    setBatch(await call(api.POST('/api/v1/notifications/broadcast', { body: { audience, ...common } })));
  }, fields);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  const memberError =
    submit.fieldError('to') ?? members.map((_, i) => submit.fieldError(`to.userIds.${i}`)).find(Boolean);
  const incomplete = (kind === 'role' && !roleId) || (kind === 'department' && !departmentId);

  return (
    <Stack>
      <Title order={2}>{t('notifications.send.title')}</Title>
      <Text size="sm" c="dimmed">
        {t('notifications.send.help')}
      </Text>
      <Card withBorder>
        <form onSubmit={onSubmit} noValidate aria-label={t('notifications.send.title')}>
          <Stack gap="sm">
            <ProblemAlert error={submit.formError} />
            <Radio.Group
              label={t('notifications.send.audience')}
              value={kind}
              onChange={(v) => setKind(v as Kind)}
              error={submit.fieldError('audience')}
            >
              <Group gap="md" mt={6}>
                {KINDS.map((k) => (
                  <Radio key={k} value={k} label={t(`notifications.send.kind.${k}`)} />
                ))}
              </Group>
            </Radio.Group>
            {kind === 'members' && (
              <MemberPicker chosen={members} onChange={setMembers} error={memberError} />
            )}
            {kind === 'role' && (
              <RemoteSelect
                source={roles}
                label={t('notifications.send.role')}
                value={roleId}
                onChange={(v) => setRoleId(v)}
                error={submit.fieldError('audience.roleId')}
                required
              />
            )}
            {kind === 'department' && (
              <RemoteSelect
                source={departmentOptions}
                label={t('notifications.send.department')}
                value={departmentId}
                onChange={(v) => setDepartmentId(v)}
                error={submit.fieldError('audience.departmentId')}
                required
              />
            )}
            <Checkbox.Group
              label={t('notifications.send.channels')}
              value={channels}
              onChange={(v) => setChannels(v as Channel[])}
              error={submit.fieldError('channels')}
              required
            >
              <Group gap="md" mt={6}>
                {CHANNELS.map((c) => (
                  <Checkbox key={c} value={c} label={t(`notifications.channel.${c}`)} />
                ))}
              </Group>
            </Checkbox.Group>
            <Select
              label={t('notifications.send.priority')}
              data={PRIORITIES.map((p) => ({ value: p, label: t(`notifications.priority.${p}`) }))}
              value={priority}
              onChange={(v) => v && setPriority(v as Priority)}
              allowDeselect={false}
              error={submit.fieldError('priority')}
              w={{ base: '100%', xs: 220 }}
            />
            <TextInput
              label={t('notifications.send.subject')}
              value={subject}
              onChange={(e) => setSubject(e.currentTarget.value)}
              error={submit.fieldError('message.subject')}
            />
            <Textarea
              label={t('notifications.send.body')}
              description={t('notifications.send.bodyHint', { example: '{{ recipient.name }}' })}
              value={body}
              onChange={(e) => setBody(e.currentTarget.value)}
              error={submit.fieldError('message.body')}
              autosize
              minRows={4}
              required
            />
            <Group>
              <Button type="submit" loading={submit.busy} disabled={incomplete || channels.length === 0}>
                {t('notifications.send.submit')}
              </Button>
            </Group>
          </Stack>
        </form>
      </Card>
      {batch && <BatchSummary key={batch.batchId} batch={batch} />}
    </Stack>
  );
}
