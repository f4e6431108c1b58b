// Inviting by e-mail with a role (the token the API returns once is shown to hand over), and the
// open invitations, each of which can be revoked.
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
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { allPages, key, useApiQuery, usePagedQuery } from '../../api/queries.ts';
import { DownloadMenu } from '../../components/DownloadMenu.tsx';
import { ListTable } from '../../components/ListPage.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { useFormat } from '../../format/useFormat.ts';
import { useSession } from '../../session/SessionProvider.tsx';
import { ConfirmButton } from './ConfirmButton.tsx';
import { SecretOnce } from './SecretOnce.tsx';
import type { CreatedInvitation, Invitation, Role } from './types.ts';
import { useRoleName } from './useRoleName.ts';

export function InvitationsCard({ roles }: { roles: Role[] }) {
  const { t } = useTranslation();
  const f = useFormat();
  const roleName = useRoleName();
  const [created, setCreated] = useState<CreatedInvitation | null>(null);
  const open = usePagedQuery(key('invitations', 'open'), (cursor) =>
    call(
      api.GET('/api/v1/invitations', {
        params: { query: { status: 'open', limit: 100, ...(cursor ? { cursor } : {}) } },
      }),
    ),
  );
  const revoke = async (inv: Invitation) => {
    await call(api.DELETE('/api/v1/invitations/{id}', { params: { path: { id: inv.id } } }));
    await open.reload();
  };

  return (
    <Card withBorder>
      <Group justify="space-between" mb="sm">
        <Title order={4}>{t('admin.invitations.title')}</Title>
        <DownloadMenu
          fileName="invitations"
          fetchAll={() =>
            allPages((cursor) =>
              call(
                api.GET('/api/v1/invitations', {
                  params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } },
                }),
              ),
            )
          }
          columns={[
            { header: 'email', value: (i) => i.email },
            { header: 'role', value: (i) => i.role.name },
            { header: 'status', value: (i) => i.status },
            { header: 'expiresAt', value: (i) => i.expiresAt },
            { header: 'acceptedAt', value: (i) => i.acceptedAt },
            { header: 'createdAt', value: (i) => i.createdAt },
          ]}
        />
      </Group>
      <Stack>
        {created && (
          <SecretOnce
            title={t('admin.invitations.tokenTitle', { email: created.email })}
            help={t('admin.invitations.tokenHelp')}
            secret={created.token}
            testId="invitation-token"
            onDone={() => setCreated(null)}
          />
        )}
        <InviteForm
          roles={roles}
          onInvited={(inv) => {
            setCreated(inv);
            void open.reload();
          }}
        />
        <Title order={5}>{t('admin.invitations.pending')}</Title>
        <ListTable
          list={open}
          minWidth={600}
          tableProps={
            {
              verticalSpacing: 'xs',
              highlightOnHover: false,
              'data-testid': 'invitations-table',
            } as TableProps
          }
          empty={
            <Text c="dimmed" size="sm">
              {t('admin.invitations.none')}
            </Text>
          }
          columns={[
            {
              header: t('admin.invitations.email'),
              cell: (inv) => (
                <>
                  <Text size="sm">{inv.email}</Text>
                  <Badge size="xs" variant="light">
                    {t(`admin.invitations.status.${inv.status}`)}
                  </Badge>
                </>
              ),
            },
            {
              header: t('admin.members.role'),
              cell: (inv) => roleName({ name: inv.role.name, key: keyOf(roles, inv.role.id) }),
            },
            { header: t('admin.invitations.sent'), cell: (inv) => f.dateTime(inv.createdAt) },
            { header: t('admin.invitations.expires'), cell: (inv) => f.dateTime(inv.expiresAt) },
            {
              header: t('common.actions'),
              cell: (inv) => (
                <ConfirmButton
                  label={t('admin.invitations.revoke')}
                  ariaLabel={t('admin.invitations.revokeWho', { email: inv.email })}
                  title={t('admin.invitations.revokeTitle')}
                  message={t('admin.invitations.revokeConfirm', { email: inv.email })}
                  confirmLabel={t('admin.invitations.revoke')}
                  onConfirm={() => revoke(inv)}
                />
              ),
            },
          ]}
        />
      </Stack>
    </Card>
  );
}

/** The invitation's role key, when the role list knows it (so built-in names are translated). */
function keyOf(roles: Role[], id: string): string | null {
  return roles.find((r) => r.id === id)?.key ?? null;
}

function InviteForm({ roles, onInvited }: { roles: Role[]; onInvited: (inv: CreatedInvitation) => void }) {
  const { t } = useTranslation();
  const { can } = useSession();
  const roleName = useRoleName();
  const [email, setEmail] = useState('');
  const [roleId, setRoleId] = useState<string | null>(null);
  const [departmentId, setDepartmentId] = useState<string | null>(null);
  const departments = useApiQuery(key('departments', 'InvitationsCard.departments'), async () =>
    can('departments:read') ? (await call(api.GET('/api/v1/departments'))).items : [],
  );
  const submit = useSubmit(async () => {
    const inv = await call(
      api.POST('/api/v1/invitations', {
        body: { email: email.trim(), roleId: roleId ?? '', departmentId },
      }),
    );
    setEmail('');
    onInvited(inv);
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  return (
    <form onSubmit={onSubmit} noValidate aria-label={t('admin.invitations.invite')}>
      <Stack gap="xs">
        <ProblemAlert error={submit.formError} />
        <Group align="flex-start" grow preventGrowOverflow={false} wrap="wrap">
          <TextInput
            type="email"
            label={t('admin.invitations.email')}
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            error={submit.fieldError('email')}
            autoComplete="off"
            miw={220}
            required
          />
          <Select
            label={t('admin.members.role')}
            data={roles.map((r) => ({ value: r.id, label: roleName(r) }))}
            value={roleId}
            onChange={setRoleId}
            error={submit.fieldError('roleId')}
            miw={180}
            required
          />
          <Select
            label={t('admin.departments.department')}
            placeholder={t('admin.departments.noDepartment')}
            data={(departments.data ?? []).map((d) => ({ value: d.id, label: d.name }))}
            value={departmentId}
            onChange={setDepartmentId}
            error={submit.fieldError('departmentId')}
            miw={180}
            clearable
          />
        </Group>
        <Group>
          <Button type="submit" loading={submit.busy}>
            {t('admin.invitations.invite')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
