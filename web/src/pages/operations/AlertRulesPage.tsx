// Alert rules: the organization's (or, for super admins, the platform's) rules with their type,
// severity and conditions. Built-in rules are marked: they can be tuned or turned off, never
// deleted. A drawer creates or changes a rule, with a preview of the last 24 hours.
import { Badge, Button, Drawer, Group, SegmentedControl, Stack, Switch, Text } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { key, usePagedQuery } from '../../api/queries.ts';
import { ListPage, ListTable } from '../../components/ListPage.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { useFormat } from '../../format/useFormat.ts';
import { useMe, useSession } from '../../session/SessionProvider.tsx';
import { ConfirmButton } from '../admin/ConfirmButton.tsx';
import { type AlertRule, AlertRuleForm, type AlertScope } from './AlertRuleForm.tsx';
import { AlertSeverityBadge } from './AlertsPage.tsx';
import { metricName } from './labels.ts';

export default function AlertRulesPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const me = useMe();
  const { can } = useSession();
  const manage = can('alerts:manage');
  const [scope, setScope] = useState<AlertScope>('organization');
  const [editing, setEditing] = useState<AlertRule | 'new' | null>(null);
  const rules = usePagedQuery(key('alerts', 'rules', scope), (cursor) =>
    call(
      api.GET('/api/v1/alerts/rules', {
        params: { query: { scope, limit: 100, ...(cursor ? { cursor } : {}) } },
      }),
    ),
  );
  const toggle = useSubmit(async (r: AlertRule, enabled: boolean) => {
    await call(
      api.PATCH('/api/v1/alerts/rules/{id}', {
        params: { path: { id: r.id }, query: { scope } },
        body: { enabled },
      }),
    );
    await rules.reload();
  });
  const remove = async (r: AlertRule) => {
    await call(api.DELETE('/api/v1/alerts/rules/{id}', { params: { path: { id: r.id }, query: { scope } } }));
    await rules.reload();
  };

  return (
    <ListPage
      title={t('operations.rules.title')}
      actions={
        <Group gap="xs">
          {me.user.isSuperAdmin && (
            <SegmentedControl
              aria-label={t('operations.scope.label')}
              value={scope}
              onChange={(v) => setScope(v as AlertScope)}
              data={[
                { value: 'organization', label: t('operations.scope.organization') },
                { value: 'platform', label: t('operations.scope.platform') },
              ]}
            />
          )}
          {manage && <Button onClick={() => setEditing('new')}>{t('operations.rules.add')}</Button>}
        </Group>
      }
    >
      <Text size="sm" c="dimmed">
        {t('operations.rules.help')}
      </Text>
      <ListTable
        list={rules}
        minWidth={1000}
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
                    {t('operations.rules.builtin')}
                  </Badge>
                )}
              </Stack>
            ),
          },
          { header: t('operations.rules.typeLabel'), cell: (r) => t(`operations.rules.type.${r.type}`) },
          {
            header: t('operations.rules.severityLabel'),
            cell: (r) => <AlertSeverityBadge severity={r.severity} />,
          },
          {
            header: t('operations.rules.conditions'),
            cell: (r) => (
              <Stack gap={0}>
                {r.conditions.map((c, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: conditions are positional
                  <Text size="xs" key={i}>
                    {t('operations.rules.conditionText', {
                      metric: metricName(t, c.metric),
                      operator: t(`operations.rules.operator.${c.operator}`),
                      threshold: f.number(c.threshold),
                      minutes: f.number(c.forMinutes),
                    })}
                  </Text>
                ))}
              </Stack>
            ),
          },
          {
            header: t('common.status'),
            cell: (r) => (
              <Switch
                checked={r.enabled}
                disabled={!manage}
                onChange={(e) => void toggle.run(r, e.currentTarget.checked)}
                label={r.enabled ? t('operations.rules.enabled') : t('operations.rules.disabled')}
                aria-label={t('operations.rules.enabledFor', { name: r.name })}
              />
            ),
          },
          {
            header: t('common.actions'),
            cell: (r) =>
              manage && (
                <Group gap="xs" wrap="nowrap">
                  <Button
                    size="xs"
                    variant="default"
                    onClick={() => setEditing(r)}
                    aria-label={t('operations.rules.editWho', { name: r.name })}
                  >
                    {t('operations.rules.edit')}
                  </Button>
                  {!r.builtinKey && (
                    <ConfirmButton
                      label={t('operations.rules.delete')}
                      ariaLabel={t('operations.rules.deleteWho', { name: r.name })}
                      title={t('operations.rules.deleteTitle')}
                      message={t('operations.rules.deleteConfirm', { name: r.name })}
                      confirmLabel={t('operations.rules.delete')}
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
        size="xl"
        title={editing === 'new' ? t('operations.rules.new') : t('operations.rules.change')}
      >
        {editing !== null && (
          <AlertRuleForm
            rule={editing === 'new' ? null : editing}
            scope={scope}
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
