// The deliveries to one webhook endpoint, newest first: each event sent, its state, every attempt
// (status code, latency, error class, the start of the answer, when the next one is due), and a
// button to send it again.
import { Anchor, Badge, Button, Card, Code, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, call } from '../../api/client.ts';
import { key, useApiQuery, usePagedQuery } from '../../api/queries.ts';
import { LoadMore } from '../../components/ListPage.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { useFormat } from '../../format/useFormat.ts';
import type { WebhookDelivery } from './types.ts';

const STATUS_COLORS = { pending: 'yellow', succeeded: 'green', failed: 'red' } as const;

export default function WebhookDeliveriesPage() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const endpoint = useApiQuery(key('webhooks', id), async () =>
    call(api.GET('/api/v1/webhooks/endpoints/{id}', { params: { path: { id } } })),
  );
  const deliveries = usePagedQuery<WebhookDelivery>(key('webhooks', id, 'deliveries'), (cursor) =>
    call(
      api.GET('/api/v1/webhooks/endpoints/{id}/deliveries', {
        params: { path: { id }, query: { limit: 50, ...(cursor ? { cursor } : {}) } },
      }),
    ),
  );
  const items = deliveries.items;

  return (
    <Stack>
      <Anchor component={Link} to="/admin/webhooks" size="sm">
        ← {t('webhooks.title')}
      </Anchor>
      <Title order={2} style={{ overflowWrap: 'anywhere' }}>
        {t('webhooks.deliveriesOf', { url: endpoint.data?.url ?? '' })}
      </Title>
      <ProblemAlert error={endpoint.error ?? deliveries.error} />
      <Group>
        <Button size="xs" variant="default" onClick={() => void deliveries.reload()}>
          {t('webhooks.refresh')}
        </Button>
      </Group>
      {deliveries.loaded && items.length === 0 && <Text c="dimmed">{t('webhooks.noDeliveries')}</Text>}
      <Stack data-testid="webhook-deliveries">
        {items.map((d) => (
          <DeliveryCard key={d.id} delivery={d} onResent={() => void deliveries.reload()} />
        ))}
      </Stack>
      <LoadMore list={deliveries} />
    </Stack>
  );
}

function DeliveryCard({ delivery: d, onResent }: { delivery: WebhookDelivery; onResent: () => void }) {
  const { t } = useTranslation();
  const f = useFormat();
  const resend = useSubmit(async () => {
    await call(api.POST('/api/v1/webhooks/deliveries/{id}/resend', { params: { path: { id: d.id } } }));
    onResent();
  });
  return (
    <Card withBorder data-testid="webhook-delivery">
      <Stack gap="xs">
        <Group justify="space-between">
          <Group gap="xs">
            <Code>{d.eventType}</Code>
            <Badge color={STATUS_COLORS[d.status]} variant="light">
              {t(`webhooks.status.${d.status}`)}
            </Badge>
            <Text size="xs" c="dimmed">
              {f.dateTime(d.createdAt)}
            </Text>
          </Group>
          <Button
            size="xs"
            variant="default"
            loading={resend.busy}
            onClick={() => void resend.run()}
            aria-label={t('webhooks.resendWho', { type: d.eventType })}
          >
            {t('webhooks.resend')}
          </Button>
        </Group>
        <ProblemAlert error={resend.error} />
        <Text size="xs" c="dimmed">
          {t('webhooks.messageId')}: <Code fz="xs">{d.eventId}</Code>
          {d.nextAttemptAt && ` · ${t('webhooks.nextAttempt', { when: f.dateTime(d.nextAttemptAt) })}`}
        </Text>
        {d.attempts.length > 0 && (
          <Table fz="sm" verticalSpacing={4}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>#</Table.Th>
                <Table.Th>{t('webhooks.when')}</Table.Th>
                <Table.Th>{t('webhooks.result')}</Table.Th>
                <Table.Th>{t('webhooks.latency')}</Table.Th>
                <Table.Th>{t('webhooks.response')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {d.attempts.map((a) => (
                <Table.Tr key={a.attempt}>
                  <Table.Td>{a.attempt}</Table.Td>
                  <Table.Td>{f.dateTime(a.startedAt)}</Table.Td>
                  <Table.Td>
                    {a.statusCode !== null && <Code fz="xs">{a.statusCode}</Code>}{' '}
                    {a.errorClass && (
                      <Badge size="xs" color="red" variant="light" tt="none">
                        {t(`webhooks.errorClass.${a.errorClass}` as 'webhooks.errorClass.network', {
                          defaultValue: a.errorClass,
                        })}
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>{t('webhooks.ms', { ms: a.latencyMs })}</Table.Td>
                  <Table.Td>
                    <Text size="xs" lineClamp={2} style={{ wordBreak: 'break-all' }}>
                      {a.responseExcerpt}
                      {a.responseTruncated && ' …'}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Stack>
    </Card>
  );
}
