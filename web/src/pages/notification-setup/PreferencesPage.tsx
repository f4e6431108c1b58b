// My notifications (every member): which event types reach me on which channels (a switch per
// event type × channel, and a row for all events), my time zone and quiet hours, and my phone
// numbers and push devices. A switch saves at once; the most specific choice wins, as the API says.
import {
  ActionIcon,
  Button,
  Card,
  Group,
  Select,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { key, useApiQuery } from '../../api/queries.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { WideTable } from '../../components/WideTable.tsx';
import { ADDRESS_CHANNELS, DELIVERY_CHANNELS } from './catalogue.ts';
import { channelName } from './labels.ts';
import type { AddressChannel, MySettings, Preference } from './types.ts';

const ALL = '*';

/** Whether `eventType` on `channel` is on: the most specific choice, else on. */
export function isOn(items: readonly Preference[], eventType: string, channel: string): boolean {
  const find = (e: string, c: string) => items.find((p) => p.eventType === e && p.channel === c);
  return (
    (find(eventType, channel) ?? find(eventType, ALL) ?? find(ALL, channel) ?? find(ALL, ALL))?.enabled ??
    true
  );
}

export default function PreferencesPage() {
  const { t } = useTranslation();
  return (
    <Stack>
      <Title order={2}>{t('notificationSetup.prefs.title')}</Title>
      <Text size="sm" c="dimmed">
        {t('notificationSetup.prefs.help')}
      </Text>
      <Matrix />
      <QuietHours />
      <Addresses />
    </Stack>
  );
}

function Matrix() {
  const { t } = useTranslation();
  const prefs = useApiQuery(key('notification-setup', 'preferences'), () =>
    call(api.GET('/api/v1/me/notifications/preferences')),
  );
  const [items, setItems] = useState<Preference[] | null>(null);
  useEffect(() => {
    if (prefs.data && items === null) setItems(prefs.data.items);
  }, [prefs.data, items]);
  const save = useSubmit(async (next: Preference[]) => {
    setItems(next);
    const r = await call(api.PUT('/api/v1/me/notifications/preferences', { body: { items: next } }));
    setItems(r.items);
  });
  const eventTypes = prefs.data?.eventTypes ?? [];
  const channels = DELIVERY_CHANNELS.filter((c) => eventTypes.some((e) => e.channels.includes(c)));
  const current = items ?? [];
  const toggle = (eventType: string, channel: string, enabled: boolean) =>
    void save.run([
      ...current.filter((p) => !(p.eventType === eventType && p.channel === channel)),
      { eventType, channel, enabled } as Preference,
    ]);
  const rows = [{ eventType: ALL, channels: channels as string[] }, ...eventTypes];

  return (
    <Card withBorder>
      <Title order={4} mb={4}>
        {t('notificationSetup.prefs.matrix')}
      </Title>
      <Text size="xs" c="dimmed" mb="sm">
        {t('notificationSetup.prefs.matrixHelp')}
      </Text>
      <ProblemAlert error={prefs.error ?? save.error} />
      {prefs.data && eventTypes.length === 0 ? (
        <Text size="sm" c="dimmed">
          {t('notificationSetup.prefs.nothing')}
        </Text>
      ) : (
        <WideTable minWidth={200 + channels.length * 110}>
          <Table verticalSpacing="xs" data-testid="preference-matrix">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('notificationSetup.eventType')}</Table.Th>
                {channels.map((c) => (
                  <Table.Th key={c}>{channelName(t, c)}</Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((row) => {
                const label = row.eventType === ALL ? t('notificationSetup.prefs.allEvents') : row.eventType;
                return (
                  <Table.Tr key={row.eventType} data-event={row.eventType}>
                    <Table.Td>
                      <Text size="sm" fw={row.eventType === ALL ? 600 : undefined}>
                        {label}
                      </Text>
                    </Table.Td>
                    {channels.map((c) => (
                      <Table.Td key={c}>
                        {row.channels.includes(c) && (
                          <Switch
                            checked={isOn(current, row.eventType, c)}
                            disabled={items === null}
                            onChange={(e) => toggle(row.eventType, c, e.currentTarget.checked)}
                            aria-label={t('notificationSetup.prefs.cell', {
                              event: label,
                              channel: channelName(t, c),
                            })}
                          />
                        )}
                      </Table.Td>
                    ))}
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </WideTable>
      )}
    </Card>
  );
}

function QuietHours() {
  const { t } = useTranslation();
  const settings = useApiQuery(key('notification-setup', 'settings'), () =>
    call(api.GET('/api/v1/me/notifications/settings')),
  );
  const [form, setForm] = useState<MySettings | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (settings.data && form === null) setForm(settings.data);
  }, [settings.data, form]);
  // A stored zone the browser does not list (an alias) is still offered.
  const listed = Intl.supportedValuesOf('timeZone');
  const zones = form?.timeZone && !listed.includes(form.timeZone) ? [form.timeZone, ...listed] : listed;
  const submit = useSubmit(async () => {
    if (!form) return;
    setSaved(false);
    setForm(await call(api.PUT('/api/v1/me/notifications/settings', { body: form })));
    setSaved(true);
  }, ['timeZone', 'quietHours', 'quietHours.start', 'quietHours.end']);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  const quiet = form?.quietHours ?? null;
  return (
    <Card withBorder>
      <Title order={4} mb={4}>
        {t('notificationSetup.prefs.quietTitle')}
      </Title>
      <Text size="xs" c="dimmed" mb="sm">
        {t('notificationSetup.prefs.quietHelp')}
      </Text>
      <ProblemAlert error={settings.error} />
      {form && (
        <form onSubmit={onSubmit} noValidate aria-label={t('notificationSetup.prefs.quietTitle')}>
          <Stack gap="sm">
            <ProblemAlert error={submit.formError} />
            <Select
              label={t('notificationSetup.prefs.timeZone')}
              placeholder={t('notificationSetup.prefs.organizationTimeZone')}
              data={zones}
              value={form.timeZone}
              onChange={(timeZone) => setForm({ ...form, timeZone })}
              searchable
              clearable
              limit={100}
              maw={360}
              error={submit.fieldError('timeZone')}
            />
            <Switch
              label={t('notificationSetup.prefs.quietOn')}
              checked={quiet !== null}
              onChange={(e) =>
                setForm({
                  ...form,
                  quietHours: e.currentTarget.checked ? { start: '22:00', end: '07:00' } : null,
                })
              }
              error={submit.fieldError('quietHours')}
            />
            {quiet && (
              <Group align="start">
                <TextInput
                  type="time"
                  label={t('notificationSetup.prefs.quietStart')}
                  value={quiet.start}
                  onChange={(e) =>
                    setForm({ ...form, quietHours: { ...quiet, start: e.currentTarget.value } })
                  }
                  error={submit.fieldError('quietHours.start')}
                  w={140}
                />
                <TextInput
                  type="time"
                  label={t('notificationSetup.prefs.quietEnd')}
                  value={quiet.end}
                  onChange={(e) => setForm({ ...form, quietHours: { ...quiet, end: e.currentTarget.value } })}
                  error={submit.fieldError('quietHours.end')}
                  w={140}
                />
              </Group>
            )}
            <Group>
              <Button type="submit" loading={submit.busy}>
                {t('common.save')}
              </Button>
              {saved && (
                <Text size="sm" c="teal" role="status">
                  {t('notificationSetup.prefs.saved')}
                </Text>
              )}
            </Group>
          </Stack>
        </form>
      )}
    </Card>
  );
}

function Addresses() {
  const { t } = useTranslation();
  const addresses = useApiQuery(key('notification-setup', 'addresses'), () =>
    call(api.GET('/api/v1/me/notifications/addresses')),
  );
  const [channel, setChannel] = useState<AddressChannel>('sms');
  const [address, setAddress] = useState('');
  const [label, setLabel] = useState('');
  const add = useSubmit(async () => {
    await call(
      api.POST('/api/v1/me/notifications/addresses', {
        body: { channel, address: address.trim(), ...(label.trim() ? { label: label.trim() } : {}) },
      }),
    );
    setAddress('');
    setLabel('');
    await addresses.reload();
  });
  const remove = useSubmit(async (id: string) => {
    await call(api.DELETE('/api/v1/me/notifications/addresses/{id}', { params: { path: { id } } }));
    await addresses.reload();
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void add.run();
  };
  const items = addresses.data?.items ?? [];
  return (
    <Card withBorder>
      <Title order={4} mb={4}>
        {t('notificationSetup.prefs.addresses')}
      </Title>
      <Text size="xs" c="dimmed" mb="sm">
        {t('notificationSetup.prefs.addressesHelp')}
      </Text>
      <ProblemAlert error={addresses.error ?? remove.error} />
      {addresses.data && items.length === 0 ? (
        <Text size="sm" c="dimmed" mb="sm">
          {t('notificationSetup.prefs.noAddresses')}
        </Text>
      ) : (
        <WideTable minWidth={520}>
          <Table verticalSpacing="xs" mb="sm" data-testid="addresses-table">
            <Table.Tbody>
              {items.map((a) => (
                <Table.Tr key={a.id}>
                  <Table.Td>{channelName(t, a.channel)}</Table.Td>
                  <Table.Td style={{ wordBreak: 'break-all' }}>{a.address}</Table.Td>
                  <Table.Td>{a.label}</Table.Td>
                  <Table.Td>
                    <ActionIcon
                      variant="default"
                      aria-label={t('notificationSetup.prefs.removeAddress', { address: a.address })}
                      onClick={() => void remove.run(a.id)}
                    >
                      ×
                    </ActionIcon>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </WideTable>
      )}
      <form onSubmit={onSubmit} noValidate aria-label={t('notificationSetup.prefs.addAddress')}>
        <ProblemAlert error={add.formError} />
        <Group align="start">
          <Select
            label={t('notificationSetup.channelLabel')}
            data={ADDRESS_CHANNELS.map((c) => ({ value: c, label: channelName(t, c) }))}
            value={channel}
            onChange={(c) => c && setChannel(c as AddressChannel)}
            allowDeselect={false}
            w={150}
            error={add.fieldError('channel')}
          />
          <TextInput
            label={t(
              channel === 'push'
                ? 'notificationSetup.prefs.pushToken'
                : 'notificationSetup.prefs.phoneNumber',
            )}
            placeholder={channel === 'push' ? '' : '+14155550123'}
            value={address}
            onChange={(e) => setAddress(e.currentTarget.value)}
            error={add.fieldError('address')}
            required
            w={260}
          />
          <TextInput
            label={t('notificationSetup.prefs.addressLabel')}
            value={label}
            onChange={(e) => setLabel(e.currentTarget.value)}
            error={add.fieldError('label')}
            w={180}
          />
        </Group>
        <Button type="submit" mt="sm" loading={add.busy}>
          {t('notificationSetup.prefs.addAddress')}
        </Button>
      </form>
    </Card>
  );
}
