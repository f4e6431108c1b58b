// The permission matrix: permissions (rows, grouped by resource) × roles (columns), a checkbox in
// each cell. Built-in roles are read-only; a custom role's column is editable when the member may
// manage roles, and only with permissions the member holds (nobody grants what they lack).
import { Badge, Checkbox, Code, Stack, Table, Text } from '@mantine/core';
import type { CSSProperties, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { WideTable } from '../../components/WideTable.tsx';
import { actionOf, type PermissionGroup } from './permissionGroups.ts';
import type { Role } from './types.ts';
import { useRoleName } from './useRoleName.ts';

const STICKY: CSSProperties = {
  position: 'sticky',
  left: 0,
  zIndex: 1,
  background: 'var(--mantine-color-body)',
};

export function PermissionMatrix(props: {
  groups: PermissionGroup[];
  roles: Role[];
  /** The permissions each role has now: its unsaved draft, or what the API holds. */
  granted: (role: Role) => ReadonlySet<string>;
  dirty: (role: Role) => boolean;
  editable: (role: Role) => boolean;
  grantable: (permission: string) => boolean;
  onToggle: (role: Role, permission: string, on: boolean) => void;
  /** Extra controls under a custom role's name (e.g. delete). */
  columnActions?: (role: Role) => ReactNode;
}) {
  const { t } = useTranslation();
  const roleName = useRoleName();
  return (
    <WideTable minWidth={220 + props.roles.length * 100}>
      <Table withColumnBorders verticalSpacing={4} data-testid="permission-matrix">
        <Table.Thead>
          <Table.Tr>
            <Table.Th style={STICKY} miw={180}>
              {t('admin.roles.permission')}
            </Table.Th>
            {props.roles.map((role) => (
              <Table.Th key={role.id} ta="center" miw={96} data-role={role.name}>
                <Stack gap={2} align="center">
                  <Text size="sm" fw={600} ta="center">
                    {roleName(role)}
                  </Text>
                  <Badge size="xs" variant="light" color={role.builtin ? 'gray' : 'blue'}>
                    {role.builtin ? t('admin.roles.builtinBadge') : t('admin.roles.customBadge')}
                  </Badge>
                  {props.dirty(role) && (
                    <Badge size="xs" color="orange">
                      {t('admin.roles.unsaved')}
                    </Badge>
                  )}
                  {props.columnActions?.(role)}
                </Stack>
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {props.groups.map((group) => [
            <Table.Tr key={group.resource} bg="var(--mantine-color-gray-light)">
              {/* The label stays in the first (sticky) cell, so it stays in view when scrolled sideways. */}
              <Table.Th scope="rowgroup" style={{ ...STICKY, background: 'transparent' }}>
                {t(`admin.roles.resources.${group.resource}` as 'admin.roles.resources.members', {
                  defaultValue: group.resource,
                })}
              </Table.Th>
              <Table.Td colSpan={props.roles.length} />
            </Table.Tr>,
            ...group.permissions.map((p) => (
              <Table.Tr key={p.name}>
                <Table.Th scope="row" style={STICKY} fw={400}>
                  <Text size="sm">
                    {t(`admin.roles.actions.${actionOf(p.name)}` as 'admin.roles.actions.read', {
                      defaultValue: actionOf(p.name),
                    })}
                  </Text>
                  <Code fz="xs">{p.name}</Code>
                </Table.Th>
                {props.roles.map((role) => {
                  const on = props.granted(role).has(p.name);
                  const editable = props.editable(role) && (on || props.grantable(p.name));
                  return (
                    <Table.Td key={role.id} ta="center">
                      <Checkbox
                        aria-label={t('admin.roles.cell', { permission: p.name, role: roleName(role) })}
                        checked={on}
                        disabled={!editable}
                        onChange={(e) => props.onToggle(role, p.name, e.currentTarget.checked)}
                        styles={{ body: { justifyContent: 'center' } }}
                      />
                    </Table.Td>
                  );
                })}
              </Table.Tr>
            )),
          ])}
        </Table.Tbody>
      </Table>
    </WideTable>
  );
}
