// API keys: the list (scopes, expiry, last use; a page at a time, "load more" past the first),
// creating one (its secret shown once, with a copy button) and revoking one.
import {
  Badge,
  Button,
  Card,
  Code,
  Group,
  MultiSelect,
  Stack,
  type TableProps,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { allPages, key, usePagedQuery } from '../../api/queries.ts';
import { DownloadMenu } from '../../components/DownloadMenu.tsx';
import { type Column, ListPage, ListTable } from '../../components/ListPage.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { useFormat } from '../../format/useFormat.ts';
import { useMe, useSession } from '../../session/SessionProvider.tsx';
import { ConfirmButton } from './ConfirmButton.tsx';
import { SecretOnce } from './SecretOnce.tsx';
import type { ApiKey, CreatedApiKey } from './types.ts';

/** Scopes shown in a row before "+N more". */
const SCOPES_SHOWN = 4;

function keyState(k: ApiKey): 'active' | 'revoked' | 'expired' {
  if (k.revokedAt) return 'revoked';
  if (k.expiresAt && new Date(k.expiresAt).getTime() <= Date.now()) return 'expired';
  return 'active';
}

const STATE_COLORS = { active: 'green', revoked: 'red', expired: 'gray' } as const;

/** One page of the organization's API keys (the API's largest page, so most see all at once). */
const fetchKeys = (cursor: string | null) =>
  call(api.GET('/api/v1/api-keys', { params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } } }));

export default function ApiKeysPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const { can } = useSession();
  const manage = can('api_keys:manage');
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const list = usePagedQuery(key('api-keys', 'ApiKeysPage.list'), fetchKeys);

  // Keys have no realtime events: after a change the loaded pages are asked for again.
  const revoke = async (k: ApiKey) => {
    await call(api.DELETE('/api/v1/api-keys/{id}', { params: { path: { id: k.id } } }));
    await list.reload();
  };

  const columns: Column<ApiKey>[] = [
    {
      header: t('common.name'),
      cell: (k) => (
        <>
          <Text size="sm" fw={500}>
            {k.name}
          </Text>
          <Code fz="xs">{k.prefix}…</Code>
        </>
      ),
    },
    {
      header: t('admin.apiKeys.scopes'),
      cell: (k) => (
        <Group gap={4}>
          {k.scopes.slice(0, SCOPES_SHOWN).map((s) => (
            <Badge key={s} size="xs" variant="outline" tt="none">
              {s}
            </Badge>
          ))}
          {k.scopes.length > SCOPES_SHOWN && (
            <Badge size="xs" variant="light" tt="none" title={k.scopes.join(', ')}>
              {t('admin.apiKeys.moreScopes', { count: k.scopes.length - SCOPES_SHOWN })}
            </Badge>
          )}
        </Group>
      ),
    },
    {
      header: t('admin.apiKeys.expires'),
      cell: (k) => (k.expiresAt ? f.dateTime(k.expiresAt) : t('admin.apiKeys.never')),
    },
    {
      header: t('admin.apiKeys.lastUsed'),
      cell: (k) =>
        k.lastUsedAt ? (
          <>
            <Text size="sm">{f.dateTime(k.lastUsedAt)}</Text>
            {k.lastUsedIp && (
              <Text size="xs" c="dimmed">
                {k.lastUsedIp}
              </Text>
            )}
          </>
        ) : (
          t('admin.apiKeys.neverUsed')
        ),
    },
    {
      header: t('common.status'),
      cell: (k) => {
        const state = keyState(k);
        return (
          <Badge color={STATE_COLORS[state]} variant="light">
            {t(`admin.apiKeys.state.${state}`)}
          </Badge>
        );
      },
    },
  ];
  if (manage)
    columns.push({
      header: t('common.actions'),
      cell: (k) =>
        keyState(k) !== 'revoked' && (
          <ConfirmButton
            label={t('admin.apiKeys.revoke')}
            ariaLabel={t('admin.apiKeys.revokeWho', { name: k.name })}
            title={t('admin.apiKeys.revokeTitle')}
            message={t('admin.apiKeys.revokeConfirm', { name: k.name })}
            confirmLabel={t('admin.apiKeys.revoke')}
            onConfirm={() => revoke(k)}
          />
        ),
    });

  return (
    <ListPage
      title={t('admin.apiKeys.title')}
      actions={
        <DownloadMenu
          fileName="api-keys"
          fetchAll={() => allPages(fetchKeys)}
          columns={[
            { header: 'name', value: (k) => k.name },
            { header: 'prefix', value: (k) => k.prefix },
            { header: 'userId', value: (k) => k.userId },
            { header: 'scopes', value: (k) => k.scopes.join(' ') },
            { header: 'expiresAt', value: (k) => k.expiresAt },
            { header: 'lastUsedAt', value: (k) => k.lastUsedAt },
            { header: 'lastUsedIp', value: (k) => k.lastUsedIp },
            { header: 'revokedAt', value: (k) => k.revokedAt },
            { header: 'createdAt', value: (k) => k.createdAt },
          ]}
        />
      }
    >
      <Text size="sm" c="dimmed">
        {t('admin.apiKeys.help')}
      </Text>
      {created && (
        <SecretOnce
          title={t('admin.apiKeys.createdTitle', { name: created.name })}
          help={t('admin.apiKeys.createdHelp')}
          secret={created.key}
          testId="api-key-secret"
          onDone={() => setCreated(null)}
        />
      )}
      {manage && (
        <Card withBorder>
          <Title order={4} mb="sm">
            {t('admin.apiKeys.new')}
          </Title>
          <ApiKeyForm
            onCreated={(k) => {
              setCreated(k);
              void list.reload();
            }}
          />
        </Card>
      )}
      <ListTable
        list={list}
        minWidth={760}
        columns={columns}
        tableProps={
          { verticalSpacing: 'xs', highlightOnHover: false, 'data-testid': 'api-keys-table' } as TableProps
        }
        empty={<Text c="dimmed">{t('admin.apiKeys.none')}</Text>}
      />
    </ListPage>
  );
}

/** The fields the form shows: a problem naming another one (e.g. `scopes.3`) is shown above the form. */
const KEY_FIELDS = ['name', 'scopes', 'expiresAt'] as const;

function ApiKeyForm({ onCreated }: { onCreated: (k: CreatedApiKey) => void }) {
  const { t } = useTranslation();
  const me = useMe();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const [expires, setExpires] = useState('');
  // A key can only carry permissions its creator holds.
  const grantable = me.permissions.filter((p) => p !== 'platform:admin');
  const submit = useSubmit(async () => {
    const k = await call(
      api.POST('/api/v1/api-keys', {
        body: {
          name: name.trim(),
          scopes,
          // The key works through the whole chosen day (UTC).
          expiresAt: expires ? `${expires}T23:59:59.000Z` : null,
        },
      }),
    );
    setName('');
    setScopes([]);
    setExpires('');
    onCreated(k);
  }, KEY_FIELDS);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  return (
    <form onSubmit={onSubmit} noValidate aria-label={t('admin.apiKeys.new')}>
      <Stack gap="xs">
        <ProblemAlert error={submit.formError} />
        <Group align="flex-start" grow wrap="wrap" preventGrowOverflow={false}>
          <TextInput
            label={t('common.name')}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            error={submit.fieldError('name')}
            miw={200}
            required
          />
          <TextInput
            type="date"
            label={t('admin.apiKeys.expires')}
            description={t('admin.apiKeys.expiresHint')}
            value={expires}
            onChange={(e) => setExpires(e.currentTarget.value)}
            error={submit.fieldError('expiresAt')}
            miw={200}
          />
        </Group>
        <MultiSelect
          label={t('admin.apiKeys.scopes')}
          description={t('admin.apiKeys.scopesHint')}
          data={grantable}
          value={scopes}
          onChange={setScopes}
          error={submit.fieldError('scopes')}
          searchable
          clearable
          required
        />
        <Group gap="xs">
          <Button
            variant="subtle"
            size="xs"
            onClick={() => setScopes(grantable.filter((p) => p.endsWith(':read')))}
          >
            {t('admin.apiKeys.allRead')}
          </Button>
        </Group>
        <Group>
          <Button type="submit" loading={submit.busy}>
            {t('admin.apiKeys.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
