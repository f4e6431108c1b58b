// The plan and its limits against what the organization uses (members, API requests this month,
// storage), and the other plans, which an admin may switch to.
import { Badge, Button, Card, Group, Progress, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { key, useApiQuery } from '../../api/queries.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { WideTable } from '../../components/WideTable.tsx';
import { useFormat } from '../../format/useFormat.ts';
import { useSession } from '../../session/SessionProvider.tsx';
import { formatBytes } from './formatBytes.ts';
import type { Plan } from './types.ts';

/** The bar turns yellow, then red, as a counter nears its limit. */
function barColor(ratio: number): string {
  if (ratio >= 0.9) return 'red';
  if (ratio >= 0.75) return 'yellow';
  return 'blue';
}

function UsageMeter(props: {
  label: string;
  used: number;
  limit: number | null;
  show: (n: number) => string;
  detail?: string;
  testId: string;
}) {
  const { t } = useTranslation();
  const f = useFormat();
  const ratio = props.limit ? Math.min(props.used / props.limit, 1) : 0;
  return (
    <Card withBorder data-testid={props.testId}>
      <Stack gap={6}>
        <Text fw={600}>{props.label}</Text>
        <Text size="xl" fw={700} data-testid={`${props.testId}-value`}>
          {props.limit === null
            ? props.show(props.used)
            : t('admin.plan.usedOf', { used: props.show(props.used), limit: props.show(props.limit) })}
        </Text>
        {props.limit === null ? (
          <Text size="sm" c="dimmed">
            {t('admin.plan.unlimited')}
          </Text>
        ) : (
          <>
            <Progress
              value={ratio * 100}
              color={barColor(ratio)}
              aria-label={props.label}
              aria-valuetext={f.percent(ratio)}
            />
            <Text size="sm" c="dimmed">
              {t('admin.plan.percentUsed', { percent: f.percent(ratio) })}
            </Text>
          </>
        )}
        {props.detail && (
          <Text size="xs" c="dimmed">
            {props.detail}
          </Text>
        )}
      </Stack>
    </Card>
  );
}

export default function PlanPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const { can } = useSession();
  const usage = useApiQuery(key('plan', 'PlanPage.usage'), () => call(api.GET('/api/v1/organization/usage')));
  const plans = useApiQuery(
    key('plan', 'PlanPage.plans'),
    async () => (await call(api.GET('/api/v1/plans'))).items,
  );
  const change = useSubmit(async (plan: Plan) => {
    await call(api.PUT('/api/v1/organization/plan', { body: { planId: plan.id } }));
    await usage.reload();
  });
  const u = usage.data;
  const bytes = (n: number) => formatBytes(n, f.locale);
  const limitOr = (n: number | null, show: (n: number) => string) =>
    n === null ? t('admin.plan.unlimited') : show(n);

  return (
    <Stack>
      <Title order={2}>{t('admin.plan.title')}</Title>
      <ProblemAlert error={usage.error} />
      {u && (
        <>
          <Group gap="xs">
            <Text>{t('admin.plan.current')}</Text>
            <Badge size="lg" data-testid="current-plan">
              {u.plan.name}
            </Badge>
            <Text c="dimmed" size="sm">
              {t('admin.plan.perMonth', { price: f.money(u.plan.priceMinor, u.plan.currency) })}
            </Text>
          </Group>
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <UsageMeter
              testId="usage-users"
              label={t('admin.plan.users')}
              used={u.usage.members + u.usage.openInvitations}
              limit={u.plan.maxUsers}
              show={f.number}
              detail={t('admin.plan.usersDetail', {
                members: t('admin.plan.members', { count: u.usage.members, n: f.number(u.usage.members) }),
                invitations: t('admin.plan.invitations', {
                  count: u.usage.openInvitations,
                  n: f.number(u.usage.openInvitations),
                }),
              })}
            />
            <UsageMeter
              testId="usage-requests"
              label={t('admin.plan.requests')}
              used={u.usage.apiRequestsThisMonth}
              limit={u.plan.maxApiRequestsPerMonth}
              show={f.number}
              detail={t('admin.plan.since', { day: f.day(u.period.slice(0, 10)) })}
            />
            <UsageMeter
              testId="usage-storage"
              label={t('admin.plan.storage')}
              used={u.usage.storageBytes}
              limit={u.plan.maxStorageBytes}
              show={bytes}
            />
          </SimpleGrid>
        </>
      )}
      <Title order={3} mt="md">
        {t('admin.plan.plans')}
      </Title>
      <ProblemAlert error={plans.error ?? change.error} />
      <WideTable minWidth={640}>
        <Table verticalSpacing="xs" data-testid="plans-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('admin.plan.plan')}</Table.Th>
              <Table.Th>{t('admin.plan.price')}</Table.Th>
              <Table.Th>{t('admin.plan.users')}</Table.Th>
              <Table.Th>{t('admin.plan.requests')}</Table.Th>
              <Table.Th>{t('admin.plan.storage')}</Table.Th>
              {can('plan:manage') && <Table.Th>{t('common.actions')}</Table.Th>}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(plans.data ?? []).map((p) => {
              const current = p.id === u?.plan.id;
              return (
                <Table.Tr key={p.id}>
                  <Table.Td>
                    <Text size="sm" fw={current ? 700 : 400}>
                      {p.name}
                    </Text>
                    {current && (
                      <Badge size="xs" variant="light">
                        {t('admin.plan.currentBadge')}
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>{f.money(p.priceMinor, p.currency)}</Table.Td>
                  <Table.Td>{limitOr(p.maxUsers, f.number)}</Table.Td>
                  <Table.Td>{limitOr(p.maxApiRequestsPerMonth, f.number)}</Table.Td>
                  <Table.Td>{limitOr(p.maxStorageBytes, bytes)}</Table.Td>
                  {can('plan:manage') && (
                    <Table.Td>
                      {!current && (
                        <Button
                          size="xs"
                          variant="light"
                          loading={change.busy}
                          onClick={() => void change.run(p)}
                          aria-label={t('admin.plan.switchTo', { name: p.name })}
                        >
                          {t('admin.plan.switch')}
                        </Button>
                      )}
                    </Table.Td>
                  )}
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </WideTable>
    </Stack>
  );
}
