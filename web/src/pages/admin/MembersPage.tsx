// Members of the organization (role, status, MFA), with their role and status changeable and
// removal for those allowed; below, the invitations.
import {
  Badge,
  Button,
  Card,
  Group,
  Select,
  Stack,
  type TableProps,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, ifMatch } from '../../api/client.ts';
import { allPages, key, useApiQuery, usePagedQuery } from '../../api/queries.ts';
import { DownloadMenu } from '../../components/DownloadMenu.tsx';
import { ListTable } from '../../components/ListPage.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { useMe, useSession } from '../../session/SessionProvider.tsx';
import { ConfirmButton } from './ConfirmButton.tsx';
import { InvitationsCard } from './InvitationsCard.tsx';
import type { Member, MemberStatus, Role } from './types.ts';
import { useRoleName } from './useRoleName.ts';

export default function MembersPage() {
  const { t } = useTranslation();
  const { can } = useSession();
  // The roles a member can be given or invited with (needs roles:read; else only the current ones).
  const roles = useApiQuery(key('roles', 'MembersPage.roles', can('roles:read')), async () =>
    can('roles:read') ? (await call(api.GET('/api/v1/roles'))).items : [],
  );
  return (
    <Stack>
      <Title order={2}>{t('admin.members.title')}</Title>
      <MembersCard roles={roles.data ?? []} />
      {can('members:invite') && <InvitationsCard roles={roles.data ?? []} />}
    </Stack>
  );
}

function MembersCard({ roles }: { roles: Role[] }) {
  const { t } = useTranslation();
  const me = useMe();
  const { can } = useSession();
  const roleName = useRoleName();
  const [q, setQ] = useState('');
  const [query] = useDebouncedValue(q.trim(), 300);
  const list = usePagedQuery(key('members', 'MembersPage.list', query), (cursor) =>
    call(
      api.GET('/api/v1/members', {
        params: { query: { limit: 100, ...(cursor ? { cursor } : {}), ...(query ? { q: query } : {}) } },
      }),
    ),
  );
  const { setItems } = list;

  const replace = (m: Member) => setItems((prev) => prev.map((x) => (x.id === m.id ? m : x)));

  const change = useSubmit(async (member: Member, body: { roleId?: string; status?: MemberStatus }) => {
    try {
      replace(
        await call(
          api.PATCH('/api/v1/members/{id}', {
            params: { path: { id: member.id } },
            headers: ifMatch(member.version),
            body,
          }),
        ),
      );
    } catch (err) {
      // Someone may have changed the member meanwhile: show the current state with the refusal.
      void list.reload();
      throw err;
    }
  });

  const remove = async (member: Member) => {
    await call(api.DELETE('/api/v1/members/{id}', { params: { path: { id: member.id } } }));
    setItems((prev) => prev.filter((x) => x.id !== member.id));
  };

  const roleOptions = (member: Member) => {
    const known = roles.some((r) => r.id === member.role.id) ? roles : [member.role, ...roles];
    return known.map((r) => ({ value: r.id, label: roleName(r) }));
  };

  const actions = (m: Member) => (
    <Group gap="xs" wrap="nowrap">
      {can('members:update') &&
        (m.status === 'active' ? (
          <Button
            size="xs"
            variant="light"
            color="orange"
            aria-label={t('admin.members.suspendWho', { name: m.name })}
            onClick={() => void change.run(m, { status: 'suspended' })}
          >
            {t('admin.members.suspend')}
          </Button>
        ) : (
          <Button
            size="xs"
            variant="light"
            aria-label={t('admin.members.reactivateWho', { name: m.name })}
            onClick={() => void change.run(m, { status: 'active' })}
          >
            {t('admin.members.reactivate')}
          </Button>
        ))}
      {can('members:remove') && (
        <ConfirmButton
          label={t('admin.members.remove')}
          ariaLabel={t('admin.members.removeWho', { name: m.name })}
          title={t('admin.members.removeTitle')}
          message={t('admin.members.removeConfirm', { name: m.name, email: m.email })}
          confirmLabel={t('admin.members.remove')}
          onConfirm={() => remove(m)}
        />
      )}
    </Group>
  );

  return (
    <Card withBorder>
      <Group justify="space-between" mb="sm">
        <Title order={4}>{t('admin.members.list')}</Title>
        <DownloadMenu
          fileName="members"
          fetchAll={() =>
            allPages((cursor) =>
              call(
                api.GET('/api/v1/members', {
                  params: {
                    query: { limit: 200, ...(cursor ? { cursor } : {}), ...(query ? { q: query } : {}) },
                  },
                }),
              ),
            )
          }
          columns={[
            { header: 'name', value: (m) => m.name },
            { header: 'email', value: (m) => m.email },
            { header: 'role', value: (m) => m.role.key ?? m.role.name },
            { header: 'status', value: (m) => m.status },
            { header: 'mfaEnabled', value: (m) => m.mfaEnabled },
            { header: 'departmentId', value: (m) => m.departmentId },
            { header: 'since', value: (m) => m.createdAt },
          ]}
        />
        <TextInput
          aria-label={t('admin.members.search')}
          placeholder={t('admin.members.search')}
          value={q}
          onChange={(e) => setQ(e.currentTarget.value)}
          size="xs"
          w={{ base: '100%', xs: 240 }}
        />
      </Group>
      <ListTable
        list={list}
        minWidth={720}
        errors={[change.error]}
        tableProps={
          { verticalSpacing: 'xs', highlightOnHover: false, 'data-testid': 'members-table' } as TableProps
        }
        columns={[
          {
            header: t('common.name'),
            cell: (m) => (
              <>
                <Group gap={6} wrap="nowrap">
                  <Text size="sm" fw={500}>
                    {m.name}
                  </Text>
                  {m.userId === me.user.id && (
                    <Badge size="xs" variant="outline">
                      {t('admin.members.you')}
                    </Badge>
                  )}
                </Group>
                <Text size="xs" c="dimmed">
                  {m.email}
                </Text>
              </>
            ),
          },
          {
            header: t('admin.members.role'),
            cell: (m) =>
              can('members:update') && m.userId !== me.user.id ? (
                <Select
                  aria-label={t('admin.members.roleOf', { name: m.name })}
                  size="xs"
                  w={200}
                  data={roleOptions(m)}
                  value={m.role.id}
                  onChange={(v) => v && v !== m.role.id && void change.run(m, { roleId: v })}
                  allowDeselect={false}
                />
              ) : (
                <Text size="sm">{roleName(m.role)}</Text>
              ),
          },
          {
            header: t('common.status'),
            cell: (m) => (
              <Badge color={m.status === 'active' ? 'green' : 'orange'} variant="light">
                {t(`admin.members.status.${m.status}`)}
              </Badge>
            ),
          },
          {
            header: t('admin.members.mfa'),
            cell: (m) => (
              <Badge color={m.mfaEnabled ? 'green' : 'gray'} variant="light">
                {m.mfaEnabled ? t('admin.members.mfaOn') : t('admin.members.mfaOff')}
              </Badge>
            ),
          },
          { header: t('common.actions'), cell: (m) => m.userId !== me.user.id && actions(m) },
        ]}
      />
    </Card>
  );
}
