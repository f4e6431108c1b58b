// Notification rules: which event notifies whom, on which channels, at which priority. Built-in
// rules (installed for every organization) are marked: they can be changed or turned off, never
// deleted. A drawer creates or changes a rule, with pickers for roles, departments and members.
import { Badge, Button, Drawer, Group, Stack, Switch, Text } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { key, usePagedQuery } from '../../api/queries.ts';
import { ListPage, ListTable } from '../../components/ListPage.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { ConfirmButton } from '../admin/ConfirmButton.tsx';
import { channelName, priorityName, recipientKindName } from './labels.ts';
import { RuleForm } from './RuleForm.tsx';
import type { NotificationRule } from './types.ts';

export default function RulesPage() {
  const { t } = useTranslation();
  const [editing, setEditing] = useState<NotificationRule | 'new' | null>(null);
  // The API answers every rule at once (an organization has tens): one page.
  const rules = usePagedQuery(key('notification-setup', 'rules'), async () => ({
    ...(await call(api.GET('/api/v1/notifications/rules'))),
    nextCursor: null,
  }));
  const toggle = useSubmit(async (r: NotificationRule, enabled: boolean) => {
    await call(
      api.PATCH('/api/v1/notifications/rules/{id}', { params: { path: { id: r.id } }, body: { enabled } }),
    );
    await rules.reload();
  });
  const remove = async (r: NotificationRule) => {
    await call(api.DELETE('/api/v1/notifications/rules/{id}', { params: { path: { id: r.id } } }));
    await rules.reload();
  };

  return (
    <ListPage
      title={t('notificationSetup.rules.title')}
      actions={<Button onClick={() => setEditing('new')}>{t('notificationSetup.rules.add')}</Button>}
    >
      <Text size="sm" c="dimmed">
        {t('notificationSetup.rules.help')}
      </Text>
      <ListTable
        list={rules}
        minWidth={900}
        errors={[toggle.error]}
        rowProps={(r) => ({ 'data-rule': r.name })}
        columns={[
          {
            header: t('common.name'),
            cell: (r) => (
              <Stack gap={2}>
                <Text size="sm">{r.name}</Text>
                {r.builtinKey && (
                  <Badge size="xs" variant="light" color="gray" w="fit-content">
                    {t('notificationSetup.rules.builtin')}
                  </Badge>
                )}
              </Stack>
            ),
          },
          { header: t('notificationSetup.eventType'), cell: (r) => <Text size="sm">{r.eventType}</Text> },
          {
            header: t('notificationSetup.rules.recipients'),
            cell: (r) => (
              <Text size="sm">{r.recipients.map((x) => recipientKindName(t, x.kind)).join(', ')}</Text>
            ),
          },
          {
            header: t('notificationSetup.rules.channels'),
            cell: (r) => (
              <Group gap={4}>
                {r.channels.map((c) => (
                  <Badge key={c} size="xs" variant="outline" tt="none">
                    {channelName(t, c)}
                  </Badge>
                ))}
              </Group>
            ),
          },
          { header: t('notificationSetup.rules.priority'), cell: (r) => priorityName(t, r.priority) },
          {
            header: t('common.status'),
            cell: (r) => (
              <Switch
                checked={r.enabled}
                onChange={(e) => void toggle.run(r, e.currentTarget.checked)}
                label={
                  r.enabled ? t('notificationSetup.rules.enabled') : t('notificationSetup.rules.disabled')
                }
                aria-label={t('notificationSetup.rules.enabledFor', { name: r.name })}
              />
            ),
          },
          {
            header: t('common.actions'),
            cell: (r) => (
              <Group gap="xs" wrap="nowrap">
                <Button
                  size="xs"
                  variant="default"
                  onClick={() => setEditing(r)}
                  aria-label={t('notificationSetup.rules.editWho', { name: r.name })}
                >
                  {t('notificationSetup.rules.edit')}
                </Button>
                {!r.builtinKey && (
                  <ConfirmButton
                    label={t('notificationSetup.rules.delete')}
                    ariaLabel={t('notificationSetup.rules.deleteWho', { name: r.name })}
                    title={t('notificationSetup.rules.deleteTitle')}
                    message={t('notificationSetup.rules.deleteConfirm', { name: r.name })}
                    confirmLabel={t('notificationSetup.rules.delete')}
                    onConfirm={() => remove(r)}
                  />
                )}
              </Group>
            ),
          },
        ]}
      />
      <Drawer
        opened={editing !== null}
        onClose={() => setEditing(null)}
        position="right"
        size="lg"
        title={editing === 'new' ? t('notificationSetup.rules.new') : t('notificationSetup.rules.change')}
      >
        {editing !== null && (
          <RuleForm
            rule={editing === 'new' ? null : editing}
            onSaved={() => {
              setEditing(null);
              void rules.reload();
            }}
          />
        )}
      </Drawer>
    </ListPage>
  );
}
