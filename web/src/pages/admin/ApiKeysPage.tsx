// API keys: the list (scopes, expiry, last use), creating one (its secret shown once, with a copy
// button) and revoking one.
import {
  Badge,
  Button,
  Card,
  Code,
  Group,
  MultiSelect,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { key, useApiQuery } from '../../api/queries.ts';
import { DownloadMenu } from '../../components/DownloadMenu.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { WideTable } from '../../components/WideTable.tsx';
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

export default function ApiKeysPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const { can } = useSession();
  const manage = can('api_keys:manage');
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const keys = useApiQuery(
    key('api-keys', 'ApiKeysPage.keys'),
    async () => (await call(api.GET('/api/v1/api-keys', { params: { query: { limit: 200 } } }))).items,
  );

  const revoke = async (k: ApiKey) => {
    await call(api.DELETE('/api/v1/api-keys/{id}', { params: { path: { id: k.id } } }));
    await keys.reload();
  };

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('admin.apiKeys.title')}</Title>
        <DownloadMenu
          fileName="api-keys"
          fetchAll={async () =>
            (await call(api.GET('/api/v1/api-keys', { params: { query: { limit: 200 } } }))).items
          }
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
      </Group>
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
              void keys.reload();
            }}
          />
        </Card>
      )}
      <ProblemAlert error={keys.error} />
      {keys.data && keys.data.length === 0 ? (
        <Text c="dimmed">{t('admin.apiKeys.none')}</Text>
      ) : (
        <WideTable minWidth={760}>
          <Table verticalSpacing="xs" data-testid="api-keys-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('common.name')}</Table.Th>
                <Table.Th>{t('admin.apiKeys.scopes')}</Table.Th>
                <Table.Th>{t('admin.apiKeys.expires')}</Table.Th>
                <Table.Th>{t('admin.apiKeys.lastUsed')}</Table.Th>
                <Table.Th>{t('common.status')}</Table.Th>
                {manage && <Table.Th>{t('common.actions')}</Table.Th>}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {(keys.data ?? []).map((k) => {
                const state = keyState(k);
                return (
                  <Table.Tr key={k.id}>
                    <Table.Td>
                      <Text size="sm" fw={500}>
                        {k.name}
                      </Text>
                      <Code fz="xs">{k.prefix}…</Code>
                    </Table.Td>
                    <Table.Td>
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
                    </Table.Td>
                    <Table.Td>{k.expiresAt ? f.dateTime(k.expiresAt) : t('admin.apiKeys.never')}</Table.Td>
                    <Table.Td>
                      {k.lastUsedAt ? (
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
                      )}
                    </Table.Td>
                    <Table.Td>
                      <Badge color={STATE_COLORS[state]} variant="light">
                        {t(`admin.apiKeys.state.${state}`)}
                      </Badge>
                    </Table.Td>
                    {manage && (
                      <Table.Td>
                        {state !== 'revoked' && (
                          <ConfirmButton
                            label={t('admin.apiKeys.revoke')}
                            ariaLabel={t('admin.apiKeys.revokeWho', { name: k.name })}
                            title={t('admin.apiKeys.revokeTitle')}
                            message={t('admin.apiKeys.revokeConfirm', { name: k.name })}
                            confirmLabel={t('admin.apiKeys.revoke')}
                            onConfirm={() => revoke(k)}
                          />
                        )}
                      </Table.Td>
                    )}
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </WideTable>
      )}
    </Stack>
  );
}

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
  });
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
