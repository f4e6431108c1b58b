// Notification channels: the organization's providers grouped by kind in failover order (moved up
// and down one place at a time), each with its enabled switch, a drawer to set one up or change it
// (credentials are write-only: a set one shows as set with a button to replace it), the callback
// URL to give SMS and WhatsApp providers, and a test send that shows what the provider answered.
import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Card,
  Code,
  CopyButton,
  Drawer,
  Group,
  Modal,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { key, useApiQuery } from '../../api/queries.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { WideTable } from '../../components/WideTable.tsx';
import { ConfirmButton } from '../admin/ConfirmButton.tsx';
import { ChannelForm } from './ChannelForm.tsx';
import { ADDRESSLESS_KINDS, PROVIDER_KINDS } from './catalogue.ts';
import { channelName } from './labels.ts';
import type { ChannelTestResult, NotificationChannel } from './types.ts';

export default function ChannelsPage() {
  const { t } = useTranslation();
  const [editing, setEditing] = useState<NotificationChannel | 'new' | null>(null);
  const [testing, setTesting] = useState<NotificationChannel | null>(null);
  const channels = useApiQuery(key('notification-setup', 'channels'), () =>
    call(api.GET('/api/v1/notifications/channels')),
  );
  const change = useSubmit(async (c: NotificationChannel, body: { enabled?: boolean; position?: number }) => {
    await call(api.PATCH('/api/v1/notifications/channels/{id}', { params: { path: { id: c.id } }, body }));
    await channels.reload();
  });
  const remove = async (c: NotificationChannel) => {
    await call(api.DELETE('/api/v1/notifications/channels/{id}', { params: { path: { id: c.id } } }));
    await channels.reload();
  };
  const items = channels.data?.items ?? [];
  const kinds = PROVIDER_KINDS.filter((k) => items.some((c) => c.kind === k));

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('notificationSetup.channels.title')}</Title>
        <Button onClick={() => setEditing('new')}>{t('notificationSetup.channels.add')}</Button>
      </Group>
      <Text size="sm" c="dimmed">
        {t('notificationSetup.channels.help')}
      </Text>
      <ProblemAlert error={channels.error} />
      <ProblemAlert error={change.error} />
      {channels.data && items.length === 0 && <Text c="dimmed">{t('notificationSetup.channels.none')}</Text>}
      {kinds.map((kind) => {
        const ofKind = items.filter((c) => c.kind === kind).sort((a, b) => a.position - b.position);
        return (
          <Card withBorder key={kind} data-kind={kind}>
            <Title order={4} mb="xs">
              {channelName(t, kind)}
            </Title>
            {ofKind.length > 1 && (
              <Text size="xs" c="dimmed" mb="xs">
                {t('notificationSetup.channels.failoverHelp')}
              </Text>
            )}
            <WideTable minWidth={720}>
              <Table verticalSpacing="xs">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('notificationSetup.channels.order')}</Table.Th>
                    <Table.Th>{t('common.name')}</Table.Th>
                    <Table.Th>{t('common.status')}</Table.Th>
                    <Table.Th>{t('common.actions')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {ofKind.map((c, i) => (
                    <Table.Tr key={c.id} data-channel={c.name}>
                      <Table.Td>
                        <Group gap={4} wrap="nowrap">
                          <Text size="sm" w={16}>
                            {c.position}
                          </Text>
                          <ActionIcon
                            variant="default"
                            size="sm"
                            disabled={i === 0 || change.busy}
                            aria-label={t('notificationSetup.channels.moveUp', { name: c.name })}
                            onClick={() => void change.run(c, { position: c.position - 1 })}
                          >
                            ↑
                          </ActionIcon>
                          <ActionIcon
                            variant="default"
                            size="sm"
                            disabled={i === ofKind.length - 1 || change.busy}
                            aria-label={t('notificationSetup.channels.moveDown', { name: c.name })}
                            onClick={() => void change.run(c, { position: c.position + 1 })}
                          >
                            ↓
                          </ActionIcon>
                        </Group>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">{c.name}</Text>
                        {c.callbackUrl && <CallbackUrl url={c.callbackUrl} />}
                      </Table.Td>
                      <Table.Td>
                        <Switch
                          checked={c.enabled}
                          onChange={(e) => void change.run(c, { enabled: e.currentTarget.checked })}
                          label={
                            c.enabled
                              ? t('notificationSetup.channels.enabled')
                              : t('notificationSetup.channels.disabled')
                          }
                          aria-label={t('notificationSetup.channels.enabledFor', { name: c.name })}
                        />
                      </Table.Td>
                      <Table.Td>
                        <Group gap="xs" wrap="nowrap">
                          <Button size="xs" variant="default" onClick={() => setTesting(c)}>
                            {t('notificationSetup.channels.test')}
                          </Button>
                          <Button
                            size="xs"
                            variant="default"
                            onClick={() => setEditing(c)}
                            aria-label={t('notificationSetup.channels.editWho', { name: c.name })}
                          >
                            {t('notificationSetup.channels.edit')}
                          </Button>
                          <ConfirmButton
                            label={t('notificationSetup.channels.delete')}
                            ariaLabel={t('notificationSetup.channels.deleteWho', { name: c.name })}
                            title={t('notificationSetup.channels.deleteTitle')}
                            message={t('notificationSetup.channels.deleteConfirm', { name: c.name })}
                            confirmLabel={t('notificationSetup.channels.delete')}
                            onConfirm={() => remove(c)}
                          />
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </WideTable>
          </Card>
        );
      })}
      <Drawer
        opened={editing !== null}
        onClose={() => setEditing(null)}
        position="right"
        size="md"
        title={
          editing === 'new' ? t('notificationSetup.channels.new') : t('notificationSetup.channels.change')
        }
      >
        {editing !== null && (
          <ChannelForm
            channel={editing === 'new' ? null : editing}
            onSaved={() => {
              setEditing(null);
              void channels.reload();
            }}
          />
        )}
      </Drawer>
      <Modal
        opened={testing !== null}
        onClose={() => setTesting(null)}
        title={testing ? t('notificationSetup.channels.testTitle', { name: testing.name }) : ''}
      >
        {testing && <TestSend channel={testing} />}
      </Modal>
    </Stack>
  );
}

/** The URL a provider posts statuses and replies to, with a copy button. */
function CallbackUrl({ url }: { url: string }) {
  const { t } = useTranslation();
  return (
    <Stack gap={2} mt={4}>
      <Text size="xs" c="dimmed">
        {t('notificationSetup.channels.callbackUrl')}
      </Text>
      <Group gap="xs" wrap="nowrap">
        <Code style={{ wordBreak: 'break-all' }}>{url}</Code>
        <CopyButton value={url}>
          {({ copied, copy }) => (
            <Button size="compact-xs" variant="light" color={copied ? 'teal' : 'blue'} onClick={copy}>
              {copied ? t('common.copied') : t('common.copy')}
            </Button>
          )}
        </CopyButton>
      </Group>
    </Stack>
  );
}

/** Sends the built-in test message through one channel and shows how the provider answered. */
function TestSend({ channel }: { channel: NotificationChannel }) {
  const { t } = useTranslation();
  const [to, setTo] = useState('');
  const [result, setResult] = useState<ChannelTestResult | null>(null);
  const needsAddress = !ADDRESSLESS_KINDS.includes(channel.kind);
  const submit = useSubmit(async () => {
    setResult(null);
    const address = to.trim();
    setResult(
      await call(
        api.POST('/api/v1/notifications/channels/{id}/test', {
          params: { path: { id: channel.id } },
          body: address ? { to: address } : {},
        }),
      ),
    );
  });
  return (
    <form
      aria-label={t('notificationSetup.channels.testTitle', { name: channel.name })}
      onSubmit={(e) => {
        e.preventDefault();
        void submit.run();
      }}
    >
      <Stack gap="sm">
        {needsAddress ? (
          <TextInput
            label={t('notificationSetup.channels.testTo')}
            description={t(
              channel.kind === 'email'
                ? 'notificationSetup.channels.testToEmail'
                : 'notificationSetup.channels.testToPhone',
            )}
            value={to}
            onChange={(e) => setTo(e.currentTarget.value)}
            error={submit.fieldError('to')}
          />
        ) : (
          <Text size="sm">{t('notificationSetup.channels.testToUrl')}</Text>
        )}
        <ProblemAlert error={submit.formError} />
        <Group>
          <Button type="submit" loading={submit.busy}>
            {t('notificationSetup.channels.sendTest')}
          </Button>
        </Group>
        {result && <TestOutcome result={result} />}
      </Stack>
    </form>
  );
}

function TestOutcome({ result }: { result: ChannelTestResult }) {
  const { t } = useTranslation();
  const outcome = t(
    `notificationSetup.channels.outcome.${result.outcome}` as 'notificationSetup.channels.outcome.sent',
  );
  return (
    <Alert
      color={result.ok ? 'teal' : 'red'}
      title={result.ok ? t('notificationSetup.channels.testOk') : t('notificationSetup.channels.testFailed')}
      role="status"
      data-testid="channel-test-result"
    >
      <Stack gap={4}>
        <Group gap="xs">
          <Badge variant="light" color={result.ok ? 'teal' : 'red'} tt="none">
            {outcome}
          </Badge>
          {result.statusCode !== null && (
            <Text size="sm">{t('notificationSetup.channels.statusCode', { code: result.statusCode })}</Text>
          )}
          <Text size="sm">{t('notificationSetup.ms', { ms: result.latencyMs })}</Text>
        </Group>
        {result.errorCode && (
          <Text size="sm">{t('notificationSetup.channels.errorCode', { code: result.errorCode })}</Text>
        )}
        {result.error && (
          <Text size="sm" style={{ wordBreak: 'break-word' }}>
            {result.error}
          </Text>
        )}
      </Stack>
    </Alert>
  );
}
