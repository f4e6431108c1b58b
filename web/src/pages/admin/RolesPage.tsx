// Roles and what they may do: the permission matrix (built-in roles read-only, custom roles
// editable and saved with If-Match), creating a custom role and deleting one nobody holds.
import { Alert, Button, Group, Modal, Select, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { type FormEvent, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, ifMatch } from '../../api/client.ts';
import { key, useApiQuery } from '../../api/queries.ts';
import { DownloadMenu } from '../../components/DownloadMenu.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { useMe, useSession } from '../../session/SessionProvider.tsx';
import { ConfirmButton } from './ConfirmButton.tsx';
import { PermissionMatrix } from './PermissionMatrix.tsx';
import { groupByResource } from './permissionGroups.ts';
import type { Role } from './types.ts';
import { useRoleName } from './useRoleName.ts';

export default function RolesPage() {
  const { t } = useTranslation();
  const me = useMe();
  const { can } = useSession();
  const roleName = useRoleName();
  const manage = can('roles:manage');
  const catalogue = useApiQuery(key('roles', 'RolesPage.catalogue'), () =>
    call(api.GET('/api/v1/permissions')),
  );
  const roles = useApiQuery(
    key('roles', 'RolesPage.roles'),
    async () => (await call(api.GET('/api/v1/roles'))).items,
  );
  /** Unsaved permission sets of custom roles, by role id. */
  const [drafts, setDrafts] = useState<Record<string, ReadonlySet<string>>>({});
  const [creating, setCreating] = useState(false);
  const [saved, setSaved] = useState(false);

  const groups = useMemo(() => groupByResource(catalogue.data?.permissions ?? []), [catalogue.data]);
  const held = useMemo(() => new Set(me.permissions), [me.permissions]);
  // Built-in roles first (as the API lists them), then custom roles.
  const columns = useMemo(
    () => [...(roles.data ?? [])].sort((a, b) => Number(b.builtin) - Number(a.builtin)),
    [roles.data],
  );
  const granted = (role: Role): ReadonlySet<string> => drafts[role.id] ?? new Set(role.permissions);
  const dirtyIds = Object.keys(drafts);

  const toggle = (role: Role, permission: string, on: boolean) => {
    setSaved(false);
    const next = new Set(granted(role));
    if (on) next.add(permission);
    else next.delete(permission);
    const same = next.size === role.permissions.length && role.permissions.every((p) => next.has(p));
    setDrafts((d) => {
      const { [role.id]: _, ...rest } = d;
      return same ? rest : { ...rest, [role.id]: next };
    });
  };

  const save = useSubmit(async () => {
    for (const role of columns.filter((r) => drafts[r.id])) {
      const draft = drafts[role.id]!;
      try {
        const updated = await call(
          api.PATCH('/api/v1/roles/{id}', {
            params: { path: { id: role.id } },
            headers: ifMatch(role.version),
            // In the catalogue's order, so the stored list reads like the matrix.
            body: {
              permissions: groups
                .flatMap((g) => g.permissions.map((p) => p.name))
                .filter((p) => draft.has(p)),
            },
          }),
        );
        roles.setData((list) => (list ?? []).map((r) => (r.id === updated.id ? updated : r)));
        setDrafts(({ [role.id]: _, ...rest }) => rest);
      } catch (err) {
        // A stale version: load what is stored now (the drafts stay, to save again on top of it).
        void roles.reload();
        throw err;
      }
    }
    setSaved(true);
  });

  const remove = async (role: Role) => {
    await call(api.DELETE('/api/v1/roles/{id}', { params: { path: { id: role.id } } }));
    setDrafts(({ [role.id]: _, ...rest }) => rest);
    await roles.reload();
  };

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('admin.roles.title')}</Title>
        <Group gap="xs">
          <DownloadMenu
            fileName="roles"
            fetchAll={async () => (await call(api.GET('/api/v1/roles'))).items}
            columns={[
              { header: 'name', value: (r) => r.name },
              { header: 'key', value: (r) => r.key },
              { header: 'permissions', value: (r) => r.permissions.join(' ') },
            ]}
          />
          {manage && <Button onClick={() => setCreating(true)}>{t('admin.roles.new')}</Button>}
        </Group>
      </Group>
      <Text size="sm" c="dimmed">
        {manage ? t('admin.roles.help') : t('admin.roles.helpReadOnly')}
      </Text>
      <ProblemAlert error={catalogue.error ?? roles.error} />
      {manage && (dirtyIds.length > 0 || save.error || saved) && (
        <Group
          gap="xs"
          p="xs"
          style={{ position: 'sticky', top: 60, zIndex: 3, background: 'var(--mantine-color-body)' }}
        >
          {dirtyIds.length > 0 ? (
            <>
              <Button onClick={() => void save.run()} loading={save.busy}>
                {t('admin.roles.save')}
              </Button>
              <Button
                variant="default"
                onClick={() => {
                  setDrafts({});
                  save.clear();
                }}
              >
                {t('admin.roles.discard')}
              </Button>
              <Text size="sm">{t('admin.roles.unsavedCount', { count: dirtyIds.length })}</Text>
            </>
          ) : (
            saved && (
              <Text size="sm" c="green" role="status">
                {t('admin.roles.saved')}
              </Text>
            )
          )}
        </Group>
      )}
      <ProblemAlert error={save.error} />
      {catalogue.data && roles.data && (
        <PermissionMatrix
          groups={groups}
          roles={columns}
          granted={granted}
          dirty={(r) => Boolean(drafts[r.id])}
          editable={(r) => manage && !r.builtin}
          grantable={(p) => held.has(p)}
          onToggle={toggle}
          columnActions={(r) =>
            manage && !r.builtin ? (
              <ConfirmButton
                label={t('admin.roles.delete')}
                ariaLabel={t('admin.roles.deleteWho', { name: r.name })}
                title={t('admin.roles.deleteTitle')}
                message={
                  r.members > 0
                    ? t('admin.roles.deleteHeld', { name: r.name, count: r.members })
                    : t('admin.roles.deleteConfirm', { name: r.name })
                }
                confirmLabel={t('admin.roles.delete')}
                variant="subtle"
                onConfirm={() => remove(r)}
              />
            ) : null
          }
        />
      )}
      <Modal opened={creating} onClose={() => setCreating(false)} title={t('admin.roles.new')}>
        <RoleForm
          roles={columns}
          roleName={roleName}
          held={held}
          onCreated={(role) => {
            setCreating(false);
            roles.setData((list) => [...(list ?? []), role]);
          }}
        />
      </Modal>
    </Stack>
  );
}

function RoleForm(props: {
  roles: Role[];
  roleName: (r: Role) => string;
  held: ReadonlySet<string>;
  onCreated: (role: Role) => void;
}) {
  const { t } = useTranslation();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [copyFrom, setCopyFrom] = useState<string | null>(null);
  const submit = useSubmit(async () => {
    const source = props.roles.find((r) => r.id === copyFrom);
    // Only what the creator holds can be copied (the API refuses the rest).
    const permissions = (source?.permissions ?? []).filter((p) => props.held.has(p));
    props.onCreated(
      await call(api.POST('/api/v1/roles', { body: { name: name.trim(), description, permissions } })),
    );
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  return (
    <form onSubmit={onSubmit} noValidate>
      <Stack>
        <ProblemAlert error={submit.formError} />
        <TextInput
          label={t('common.name')}
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={submit.fieldError('name')}
          required
          data-autofocus
        />
        <Textarea
          label={t('admin.roles.description')}
          value={description}
          onChange={(e) => setDescription(e.currentTarget.value)}
          error={submit.fieldError('description')}
          autosize
          minRows={2}
        />
        <Select
          label={t('admin.roles.copyFrom')}
          placeholder={t('admin.roles.startEmpty')}
          data={props.roles.map((r) => ({ value: r.id, label: props.roleName(r) }))}
          value={copyFrom}
          onChange={setCopyFrom}
          error={submit.fieldError('permissions')}
          clearable
        />
        <Alert color="blue" variant="light">
          {t('admin.roles.afterCreate')}
        </Alert>
        <Group justify="flex-end">
          <Button type="submit" loading={submit.busy}>
            {t('common.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
