// Outbound webhooks: the organization's endpoints (URL, events, state), registering one (its
// signing secret shown once, with a copy button), changing its events, enabling or disabling it,
// rotating its secret, deleting it, and a link to its deliveries.
import {
  Anchor,
  Badge,
  Button,
  Card,
  Group,
  Modal,
  MultiSelect,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, call } from '../../api/client.ts';
import { key, usePagedQuery } from '../../api/queries.ts';
import { LoadMore } from '../../components/ListPage.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { WideTable } from '../../components/WideTable.tsx';
import { useFormat } from '../../format/useFormat.ts';
import { ConfirmButton } from './ConfirmButton.tsx';
import { SecretOnce } from './SecretOnce.tsx';
import type { WebhookEndpoint, WebhookEventType } from './types.ts';
import { WEBHOOK_EVENT_TYPES } from './webhookEvents.ts';

export default function WebhooksPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const [secret, setSecret] = useState<{ title: string; secret: string } | null>(null);
  const [editing, setEditing] = useState<WebhookEndpoint | null>(null);
  // A page at a time ("load more"): an organization may register more endpoints than one page.
  const endpoints = usePagedQuery(key('webhooks', 'WebhooksPage.list'), (cursor: string | null) =>
    call(
      api.GET('/api/v1/webhooks/endpoints', {
        params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } },
      }),
    ),
  );

  const setEnabled = async (e: WebhookEndpoint, enabled: boolean) => {
    await call(
      api.PATCH('/api/v1/webhooks/endpoints/{id}', { params: { path: { id: e.id } }, body: { enabled } }),
    );
    await endpoints.reload();
  };
  const remove = async (e: WebhookEndpoint) => {
    await call(api.DELETE('/api/v1/webhooks/endpoints/{id}', { params: { path: { id: e.id } } }));
    await endpoints.reload();
  };
  const rotate = async (e: WebhookEndpoint) => {
    const r = await call(
      api.POST('/api/v1/webhooks/endpoints/{id}/rotate-secret', { params: { path: { id: e.id } } }),
    );
    setSecret({ title: t('webhooks.rotatedTitle', { url: e.url }), secret: r.secret });
  };

  return (
    <Stack>
      <Title order={2}>{t('webhooks.title')}</Title>
      <Text size="sm" c="dimmed">
        {t('webhooks.help')}
      </Text>
      {secret && (
        <SecretOnce
          title={secret.title}
          help={t('webhooks.secretHelp')}
          secret={secret.secret}
          testId="webhook-secret"
          onDone={() => setSecret(null)}
        />
      )}
      <Card withBorder>
        <Title order={4} mb="sm">
          {t('webhooks.new')}
        </Title>
        <EndpointForm
          onSaved={(created) => {
            if (created)
              setSecret({ title: t('webhooks.createdTitle', { url: created.url }), secret: created.secret });
            void endpoints.reload();
          }}
        />
      </Card>
      <ProblemAlert error={endpoints.error} />
      {endpoints.loaded && endpoints.items.length === 0 ? (
        <Text c="dimmed">{t('webhooks.none')}</Text>
      ) : (
        <WideTable minWidth={760}>
          <Table verticalSpacing="xs" data-testid="webhooks-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('webhooks.url')}</Table.Th>
                <Table.Th>{t('webhooks.events')}</Table.Th>
                <Table.Th>{t('common.status')}</Table.Th>
                <Table.Th>{t('common.actions')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {endpoints.items.map((e) => (
                <Table.Tr key={e.id}>
                  <Table.Td>
                    <Anchor
                      component={Link}
                      to={`/admin/webhooks/${e.id}`}
                      size="sm"
                      style={{ wordBreak: 'break-all' }}
                    >
                      {e.url}
                    </Anchor>
                    {e.description && (
                      <Text size="xs" c="dimmed">
                        {e.description}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {e.events.map((ev) => (
                        <Badge key={ev} size="xs" variant="outline" tt="none">
                          {ev}
                        </Badge>
                      ))}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <Switch
                      checked={e.enabled}
                      onChange={(ev) => void setEnabled(e, ev.currentTarget.checked)}
                      label={e.enabled ? t('webhooks.enabled') : t('webhooks.disabled')}
                      aria-label={t('webhooks.enabledFor', { url: e.url })}
                    />
                    {e.disabledReason === 'failing' && (
                      <Text size="xs" c="red">
                        {t('webhooks.disabledFailing')}
                      </Text>
                    )}
                    {e.failingSince && (
                      <Text size="xs" c="orange">
                        {t('webhooks.failingSince', { when: f.dateTime(e.failingSince) })}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <Button size="xs" variant="default" component={Link} to={`/admin/webhooks/${e.id}`}>
                        {t('webhooks.deliveries')}
                      </Button>
                      <Button size="xs" variant="default" onClick={() => setEditing(e)}>
                        {t('webhooks.editButton')}
                      </Button>
                      <ConfirmButton
                        size="xs"
                        variant="default"
                        label={t('webhooks.rotate')}
                        ariaLabel={t('webhooks.rotateWho', { url: e.url })}
                        title={t('webhooks.rotateTitle')}
                        message={t('webhooks.rotateConfirm')}
                        confirmLabel={t('webhooks.rotate')}
                        onConfirm={() => rotate(e)}
                      />
                      <ConfirmButton
                        size="xs"
                        label={t('webhooks.delete')}
                        ariaLabel={t('webhooks.deleteWho', { url: e.url })}
                        title={t('webhooks.deleteTitle')}
                        message={t('webhooks.deleteConfirm', { url: e.url })}
                        confirmLabel={t('webhooks.delete')}
                        onConfirm={() => remove(e)}
                      />
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </WideTable>
      )}
      <LoadMore list={endpoints} />
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={t('webhooks.edit')}>
        {editing && (
          <EndpointForm
            endpoint={editing}
            onSaved={() => {
              setEditing(null);
              void endpoints.reload();
            }}
          />
        )}
      </Modal>
    </Stack>
  );
}

/** Registers an endpoint, or changes one (`endpoint`). */
function EndpointForm(props: {
  endpoint?: WebhookEndpoint;
  onSaved: (created: { url: string; secret: string } | null) => void;
}) {
  const { t } = useTranslation();
  const [url, setUrl] = useState(props.endpoint?.url ?? '');
  const [description, setDescription] = useState(props.endpoint?.description ?? '');
  const [events, setEvents] = useState<string[]>(props.endpoint?.events ?? []);
  const submit = useSubmit(async () => {
    const body = { url: url.trim(), description, events: events as WebhookEventType[] };
    if (props.endpoint) {
      await call(
        api.PATCH('/api/v1/webhooks/endpoints/{id}', { params: { path: { id: props.endpoint.id } }, body }),
      );
      props.onSaved(null);
      return;
    }
    const created = await call(api.POST('/api/v1/webhooks/endpoints', { body }));
    setUrl('');
    setDescription('');
    setEvents([]);
    props.onSaved(created);
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  const label = props.endpoint ? t('common.save') : t('webhooks.create');
  return (
    <form onSubmit={onSubmit} noValidate aria-label={props.endpoint ? t('webhooks.edit') : t('webhooks.new')}>
      <Stack gap="xs">
        <ProblemAlert error={submit.formError} />
        <TextInput
          label={t('webhooks.url')}
          description={t('webhooks.urlHint')}
          placeholder="https://hooks.example.com/bul"
          value={url}
          onChange={(e) => setUrl(e.currentTarget.value)}
          error={submit.fieldError('url')}
          required
        />
        <MultiSelect
          label={t('webhooks.events')}
          data={WEBHOOK_EVENT_TYPES}
          value={events}
          onChange={setEvents}
          error={submit.fieldError('events') ?? submit.fieldError('events[0]')}
          searchable
          clearable
          required
        />
        <TextInput
          label={t('webhooks.description')}
          value={description}
          onChange={(e) => setDescription(e.currentTarget.value)}
          error={submit.fieldError('description')}
        />
        <Group>
          <Button type="submit" loading={submit.busy}>
            {label}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
