// Departments as an indented tree (nested lists, so the levels are announced too): create one (at the top or under another), rename or move it
// under another parent, delete one without sub-departments.
import {
  Badge,
  Button,
  Card,
  Group,
  Modal,
  Paper,
  Select,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, ifMatch } from '../../api/client.ts';
import { key, useApiQuery } from '../../api/queries.ts';
import { DownloadMenu } from '../../components/DownloadMenu.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { useSession } from '../../session/SessionProvider.tsx';
import { ConfirmButton } from './ConfirmButton.tsx';
import { buildTree, type DepartmentNode, pathLabel, possibleParents } from './departmentTree.ts';
import type { Department } from './types.ts';

export default function DepartmentsPage() {
  const { t } = useTranslation();
  const { can } = useSession();
  const manage = can('departments:manage');
  const list = useApiQuery(
    key('departments', 'DepartmentsPage.list'),
    async () => (await call(api.GET('/api/v1/departments'))).items,
  );
  const [editing, setEditing] = useState<Department | null>(null);
  const all = list.data ?? [];
  const byId = useMemo(() => new Map(all.map((d) => [d.id, d])), [all]);
  const tree = useMemo(() => buildTree(all), [all]);

  const remove = async (d: Department) => {
    await call(api.DELETE('/api/v1/departments/{id}', { params: { path: { id: d.id } } }));
    await list.reload();
  };

  const renderNode = (node: DepartmentNode) => {
    const d = node.department;
    return (
      <li key={d.id} data-depth={d.depth}>
        <Paper withBorder p="xs" mb={6}>
          <Group justify="space-between" wrap="wrap" gap="xs">
            <Group gap="xs" wrap="nowrap" style={{ minWidth: 0 }}>
              <Text fw={500} truncate data-department={d.name}>
                {d.name}
              </Text>
              <Badge size="sm" variant="light" style={{ flexShrink: 0 }}>
                {t('admin.departments.memberCount', { count: d.members })}
              </Badge>
            </Group>
            {manage && (
              <Group gap="xs" wrap="nowrap">
                <Button
                  size="xs"
                  variant="light"
                  aria-label={t('admin.departments.editWho', { name: d.name })}
                  onClick={() => setEditing(d)}
                >
                  {t('admin.departments.edit')}
                </Button>
                <ConfirmButton
                  label={t('admin.departments.delete')}
                  ariaLabel={t('admin.departments.deleteWho', { name: d.name })}
                  title={t('admin.departments.deleteTitle')}
                  message={t('admin.departments.deleteConfirm', { name: d.name })}
                  confirmLabel={t('admin.departments.delete')}
                  onConfirm={() => remove(d)}
                />
              </Group>
            )}
          </Group>
        </Paper>
        {node.children.length > 0 && (
          <ul
            style={{
              listStyle: 'none',
              margin: 0,
              paddingLeft: 'clamp(12px, 4vw, 28px)',
              borderLeft: '2px solid var(--mantine-color-gray-4)',
            }}
          >
            {node.children.map(renderNode)}
          </ul>
        )}
      </li>
    );
  };

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('admin.departments.title')}</Title>
        <DownloadMenu
          fileName="departments"
          fetchAll={async () => (await call(api.GET('/api/v1/departments'))).items}
          columns={[
            { header: 'id', value: (d) => d.id },
            { header: 'name', value: (d) => d.name },
            { header: 'parentId', value: (d) => d.parentId },
            { header: 'depth', value: (d) => d.depth },
            { header: 'members', value: (d) => d.members },
            { header: 'description', value: (d) => d.description },
          ]}
        />
      </Group>
      {manage && (
        <Card withBorder>
          <Title order={4} mb="sm">
            {t('admin.departments.new')}
          </Title>
          <DepartmentForm all={all} byId={byId} onSaved={() => void list.reload()} />
        </Card>
      )}
      <ProblemAlert error={list.error} />
      {list.data && all.length === 0 ? (
        <Text c="dimmed">{t('admin.departments.none')}</Text>
      ) : (
        <ul aria-label={t('admin.departments.tree')} style={{ listStyle: 'none', margin: 0, padding: 0 }}>
          {tree.map(renderNode)}
        </ul>
      )}
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={t('admin.departments.edit')}>
        {editing && (
          <DepartmentForm
            editing={editing}
            all={all}
            byId={byId}
            onSaved={() => {
              setEditing(null);
              void list.reload();
            }}
          />
        )}
      </Modal>
    </Stack>
  );
}

/** Creates a department, or renames / moves `editing` (with If-Match). */
function DepartmentForm(props: {
  editing?: Department;
  all: Department[];
  byId: ReadonlyMap<string, Department>;
  onSaved: () => void;
}) {
  const { t } = useTranslation();
  const { editing } = props;
  const [name, setName] = useState(editing?.name ?? '');
  const [parentId, setParentId] = useState<string | null>(editing?.parentId ?? null);
  const parents = editing ? possibleParents(editing, props.all) : props.all;
  const submit = useSubmit(async () => {
    if (editing) {
      await call(
        api.PATCH('/api/v1/departments/{id}', {
          params: { path: { id: editing.id } },
          headers: ifMatch(editing.version),
          body: { name: name.trim(), parentId },
        }),
      );
    } else {
      await call(api.POST('/api/v1/departments', { body: { name: name.trim(), parentId } }));
      setName('');
    }
    props.onSaved();
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  return (
    <form
      onSubmit={onSubmit}
      noValidate
      aria-label={editing ? t('admin.departments.edit') : t('admin.departments.new')}
    >
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
            data-autofocus
          />
          <Select
            label={t('admin.departments.parent')}
            placeholder={t('admin.departments.topLevel')}
            data={parents.map((d) => ({ value: d.id, label: pathLabel(d, props.byId) }))}
            value={parentId}
            onChange={setParentId}
            error={submit.fieldError('parentId')}
            miw={200}
            clearable
            searchable
          />
        </Group>
        <Group>
          <Button type="submit" loading={submit.busy}>
            {editing ? t('common.save') : t('common.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
