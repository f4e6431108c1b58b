// Clients with their status, and their contacts; create and change clients, add contacts; archive
// a client (lead or churned) and list the archived ones apart.
import {
  Anchor,
  Button,
  Card,
  Group,
  Modal,
  Select,
  Stack,
  Switch,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, ifMatch } from '../../api/client.ts';
import { key, queryClient, useApiQuery, usePagedQuery } from '../../api/queries.ts';
import type { Client } from '../../api/types.ts';
import { ListPage, ListTable } from '../../components/ListPage.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { StaleNotice } from '../../components/StaleNotice.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { useEditStart } from '../../components/useEditStart.ts';
import { useStaleNotice } from '../../components/useStaleNotice.ts';
import { useSubmit } from '../../components/useSubmit.ts';
import { useSession } from '../../session/SessionProvider.tsx';

const STATUSES = ['lead', 'active', 'churned'] as const;
type ClientStatus = (typeof STATUSES)[number];

export default function ClientsPage() {
  const { t } = useTranslation();
  const { can } = useSession();
  const [creating, setCreating] = useState(false);
  const [open, setOpen] = useState<Client | null>(null);
  const [typed, setTyped] = useState('');
  const [q] = useDebouncedValue(typed.trim(), 300);
  const [archived, setArchived] = useState(false);
  const query = { ...(q ? { q } : {}), ...(archived ? { archived: true } : {}) };
  const exportQuery = { ...(q ? { q } : {}), ...(archived ? { archived: 'true' } : {}) };
  const list = usePagedQuery(key('clients', 'list', query), (cursor) =>
    call(
      api.GET('/api/v1/clients', {
        params: { query: { limit: 100, ...query, ...(cursor ? { cursor } : {}) } },
      }),
    ),
  );
  return (
    <ListPage
      title={t('clients.title')}
      exportPath="/api/v1/clients/export"
      exportQuery={exportQuery}
      actions={can('clients:manage') && <Button onClick={() => setCreating(true)}>{t('clients.new')}</Button>}
      filters={
        <>
          <TextInput
            aria-label={t('common.search')}
            placeholder={t('common.search')}
            value={typed}
            onChange={(e) => setTyped(e.currentTarget.value)}
            maw={360}
          />
          <Switch
            label={t('clients.showArchived')}
            checked={archived}
            onChange={(e) => setArchived(e.currentTarget.checked)}
          />
        </>
      }
    >
      <ListTable
        list={list}
        minWidth={520}
        columns={[
          {
            header: t('common.name'),
            cell: (c) => (
              <Anchor component="button" type="button" onClick={() => setOpen(c)}>
                {c.name}
              </Anchor>
            ),
          },
          { header: t('common.status'), cell: (c) => <StatusBadge kind="clients" status={c.status} /> },
          { header: t('clients.email'), cell: (c) => c.email ?? '—' },
          { header: t('clients.phone'), cell: (c) => c.phone ?? '—' },
        ]}
      />
      <Modal opened={creating} onClose={() => setCreating(false)} title={t('clients.new')}>
        <ClientForm
          onSaved={() => {
            setCreating(false);
            void queryClient.invalidateQueries({ queryKey: ['clients'] });
          }}
        />
      </Modal>
      <Modal opened={open !== null} onClose={() => setOpen(null)} title={open?.name ?? ''} size="lg">
        {open && can('clients:manage') && (
          <Stack mb="md">
            <Title order={5}>{t('clients.edit')}</Title>
            <ClientForm
              key={open.id}
              client={open}
              onSaved={(saved) => {
                setOpen(saved);
                void queryClient.invalidateQueries({ queryKey: ['clients'] });
              }}
              onLoaded={setOpen}
            />
          </Stack>
        )}
        {open && can('clients:manage') && (
          <ArchiveClient
            client={open}
            onDone={() => {
              setOpen(null);
              void queryClient.invalidateQueries({ queryKey: ['clients'] });
            }}
          />
        )}
        {open && <Contacts client={open} canManage={can('clients:manage')} />}
      </Modal>
    </ListPage>
  );
}

/** Archives a lead or churned client (kept with its history, listed apart), or brings it back. */
function ArchiveClient({ client, onDone }: { client: Client; onDone: () => void }) {
  const { t } = useTranslation();
  const archived = client.archivedAt !== null;
  const submit = useSubmit(async () => {
    await call(
      api.PATCH('/api/v1/clients/{id}', {
        params: { path: { id: client.id } },
        body: { archived: !archived },
      }),
    );
    onDone();
  });
  if (client.status === 'active') return null;
  return (
    <Stack gap="xs" mb="md">
      <ProblemAlert error={submit.formError} />
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          {t(archived ? 'clients.archivedHint' : 'clients.archiveHint')}
        </Text>
        <Button variant="default" size="xs" loading={submit.busy} onClick={() => void submit.run()}>
          {t(archived ? 'clients.restore' : 'clients.archive')}
        </Button>
      </Group>
    </Stack>
  );
}

interface ClientFormProps {
  /** The client to change; without it the form creates one. */
  client?: Client;
  onSaved: (c: Client) => void;
  /** The latest values were loaded (the stale notice): what shows the client elsewhere follows. */
  onLoaded?: (c: Client) => void;
}

/** Creates a client, or changes one (noticing when someone else changed or deleted it meanwhile). */
function ClientForm(props: ClientFormProps) {
  const start = useEditStart(props.client);
  const onLoadLatest = (latest: Client) => {
    start.restart(latest);
    props.onLoaded?.(latest);
  };
  return <ClientFields key={start.key} {...props} client={start.record} onLoadLatest={onLoadLatest} />;
}

function ClientFields({
  client,
  onSaved,
  onLoadLatest,
}: ClientFormProps & { onLoadLatest: (latest: Client) => void }) {
  const { t } = useTranslation();
  const [name, setName] = useState(client?.name ?? '');
  const [status, setStatus] = useState<ClientStatus>(client?.status ?? 'lead');
  const [email, setEmail] = useState(client?.email ?? '');
  const [phone, setPhone] = useState(client?.phone ?? '');
  const submit = useSubmit(async () => {
    const body = { name, status, email: email || null, phone: phone || null };
    onSaved(
      client
        ? await call(
            api.PATCH('/api/v1/clients/{id}', {
              params: { path: { id: client.id } },
              headers: ifMatch(client.version),
              body,
            }),
          )
        : await call(api.POST('/api/v1/clients', { body })),
    );
  });
  const stale = useStaleNotice({
    subject: 'client',
    id: client?.id,
    version: client?.version,
    load: () => call(api.GET('/api/v1/clients/{id}', { params: { path: { id: client?.id ?? '' } } })),
    saving: submit.busy,
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  return (
    <form onSubmit={onSubmit} noValidate aria-label={client ? t('clients.edit') : t('clients.new')}>
      <Stack>
        <StaleNotice subject="client" stale={stale} onLoadLatest={onLoadLatest} />
        <ProblemAlert error={submit.formError} />
        <TextInput
          label={t('common.name')}
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={submit.fieldError('name')}
          required
          data-autofocus
        />
        <Select
          label={t('common.status')}
          data={STATUSES.map((s) => ({ value: s, label: t(`clients.status.${s}`) }))}
          value={status}
          onChange={(v) => v && setStatus(v as ClientStatus)}
          allowDeselect={false}
        />
        <TextInput
          label={t('clients.email')}
          type="email"
          value={email}
          onChange={(e) => setEmail(e.currentTarget.value)}
          error={submit.fieldError('email')}
        />
        <TextInput
          label={t('clients.phone')}
          value={phone}
          onChange={(e) => setPhone(e.currentTarget.value)}
          error={submit.fieldError('phone')}
        />
        <Group justify="flex-end">
          <Button type="submit" loading={submit.busy}>
            {client ? t('common.save') : t('common.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function Contacts({ client, canManage }: { client: Client; canManage: boolean }) {
  const { t } = useTranslation();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [whatsapp, setWhatsapp] = useState('');
  const list = useApiQuery(
    key('contacts', 'ClientsPage.list', client.id),
    async () =>
      (await call(api.GET('/api/v1/clients/{id}/contacts', { params: { path: { id: client.id } } }))).items,
  );
  const add = useSubmit(async () => {
    await call(
      api.POST('/api/v1/clients/{id}/contacts', {
        params: { path: { id: client.id } },
        body: { name, email: email || null, whatsapp: whatsapp || null },
      }),
    );
    setName('');
    setEmail('');
    setWhatsapp('');
    await list.reload();
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void add.run();
  };
  return (
    <Stack>
      <Title order={5}>{t('clients.contacts')}</Title>
      {(list.data ?? []).map((c) => (
        <Card key={c.id} withBorder p="xs">
          <Text fw={600} size="sm">
            {c.name}
          </Text>
          <Text size="xs" c="dimmed">
            {[c.email, c.phone, c.whatsapp].filter(Boolean).join(' · ') || '—'}
          </Text>
        </Card>
      ))}
      {canManage && (
        <form onSubmit={onSubmit} noValidate>
          <Stack gap="xs">
            <ProblemAlert error={add.formError} />
            <TextInput
              label={t('common.name')}
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              error={add.fieldError('name')}
            />
            <TextInput
              label={t('clients.email')}
              value={email}
              onChange={(e) => setEmail(e.currentTarget.value)}
              error={add.fieldError('email')}
            />
            <TextInput
              label={t('clients.whatsapp')}
              placeholder="+5511999999999"
              value={whatsapp}
              onChange={(e) => setWhatsapp(e.currentTarget.value)}
              error={add.fieldError('whatsapp')}
            />
            <Button type="submit" variant="light" loading={add.busy}>
              {t('clients.newContact')}
            </Button>
          </Stack>
        </form>
      )}
    </Stack>
  );
}
