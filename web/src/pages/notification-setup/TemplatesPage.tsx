// Notification templates: every event × channel × language the organization has made its own, and
// the built-in ones it has not, with the version in force; each opens in the editor. A template
// not listed (an event without a built-in one on that channel) is started from the form above.
import { Anchor, Badge, Button, Card, Group, Select, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { api, call } from '../../api/client.ts';
import { key, useApiQuery } from '../../api/queries.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { WideTable } from '../../components/WideTable.tsx';
import { LANGUAGES } from '../../i18n/index.ts';
import { DELIVERY_CHANNELS, RULE_EVENT_TYPES } from './catalogue.ts';
import { channelName } from './labels.ts';
import type { TemplateListItem } from './types.ts';

/** Events only notifications know (the API's test message and one-off messages). */
const NOTIFICATION_ONLY_EVENTS = ['notification.test', 'message.custom'];

export const editorPath = (i: Pick<TemplateListItem, 'eventType' | 'channel' | 'language'>) =>
  `/notifications/setup/templates/${encodeURIComponent(i.eventType)}/${i.channel}/${i.language}`;

export const languageName = (code: string) => LANGUAGES.find((l) => l.code === code)?.label ?? code;

export default function TemplatesPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [eventType, setEventType] = useState<string | null>(null);
  const [channel, setChannel] = useState<string | null>(null);
  const [language, setLanguage] = useState<string | null>(null);
  const templates = useApiQuery(key('notification-setup', 'templates'), () =>
    call(api.GET('/api/v1/notifications/templates')),
  );
  const items = (templates.data?.items ?? []).filter(
    (i) =>
      (!eventType || i.eventType === eventType) &&
      (!channel || i.channel === channel) &&
      (!language || i.language === language),
  );
  const eventTypes = [
    ...new Set([
      ...RULE_EVENT_TYPES,
      ...NOTIFICATION_ONLY_EVENTS,
      ...(templates.data?.items ?? []).map((i) => i.eventType),
    ]),
  ].sort();
  const channelOptions = DELIVERY_CHANNELS.map((c) => ({ value: c, label: channelName(t, c) }));
  const languageOptions = LANGUAGES.map((l) => ({ value: l.code, label: l.label }));
  const canOpen = eventType !== null && channel !== null && language !== null;

  return (
    <Stack>
      <Title order={2}>{t('notificationSetup.templates.title')}</Title>
      <Text size="sm" c="dimmed">
        {t('notificationSetup.templates.help')}
      </Text>
      <Card withBorder>
        <Group align="end">
          <Select
            label={t('notificationSetup.eventType')}
            data={eventTypes}
            value={eventType}
            onChange={setEventType}
            searchable
            clearable
            w={240}
          />
          <Select
            label={t('notificationSetup.channelLabel')}
            data={channelOptions}
            value={channel}
            onChange={setChannel}
            clearable
            w={160}
          />
          <Select
            label={t('common.language')}
            data={languageOptions}
            value={language}
            onChange={setLanguage}
            clearable
            w={200}
          />
          <Button
            disabled={!canOpen}
            onClick={() =>
              canOpen &&
              navigate(
                editorPath({
                  eventType,
                  channel: channel as TemplateListItem['channel'],
                  language: language as TemplateListItem['language'],
                }),
              )
            }
          >
            {t('notificationSetup.templates.open')}
          </Button>
        </Group>
        <Text size="xs" c="dimmed" mt="xs">
          {t('notificationSetup.templates.filterHelp')}
        </Text>
      </Card>
      <ProblemAlert error={templates.error} />
      {templates.data && items.length === 0 ? (
        <Text c="dimmed">{t('notificationSetup.templates.none')}</Text>
      ) : (
        <WideTable minWidth={720}>
          <Table verticalSpacing="xs" highlightOnHover data-testid="templates-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('notificationSetup.eventType')}</Table.Th>
                <Table.Th>{t('notificationSetup.channelLabel')}</Table.Th>
                <Table.Th>{t('common.language')}</Table.Th>
                <Table.Th>{t('notificationSetup.templates.source')}</Table.Th>
                <Table.Th>{t('notificationSetup.templates.inForce')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((i) => (
                <Table.Tr key={`${i.eventType}|${i.channel}|${i.language}`}>
                  <Table.Td>
                    <Anchor component={Link} to={editorPath(i)} size="sm">
                      {i.eventType}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{channelName(t, i.channel)}</Table.Td>
                  <Table.Td>{languageName(i.language)}</Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={i.source === 'builtin' ? 'gray' : 'blue'}>
                      {t(`notificationSetup.templates.sourceName.${i.source}`)}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">
                      {i.publishedVersion !== null
                        ? t('notificationSetup.templates.versionN', { n: i.publishedVersion })
                        : t('notificationSetup.templates.builtinInForce')}
                      {i.latestVersion !== null && i.latestVersion !== i.publishedVersion && (
                        <Text span size="xs" c="dimmed">
                          {' · '}
                          {t('notificationSetup.templates.latestN', { n: i.latestVersion })}
                        </Text>
                      )}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </WideTable>
      )}
    </Stack>
  );
}
