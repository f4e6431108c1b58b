// Audit search: the organization's tamper-evident trail, filtered by actor, action, resource,
// outcome and time, newest first, with each event's changes; exportable with the same filters;
// and the hash chain's integrity check.
import {
  Alert,
  Badge,
  Button,
  Card,
  Code,
  Group,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { key, useApiQuery, usePagedQuery } from '../../api/queries.ts';
import type { Ok } from '../../api/types.ts';
import { ExportMenu } from '../../components/ExportMenu.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { memberOptions, RemoteSelect, useNames } from '../../components/RemoteSelect.tsx';
import { useProblemFields, useSubmit } from '../../components/useSubmit.ts';
import { WideTable } from '../../components/WideTable.tsx';
import { useFormat } from '../../format/useFormat.ts';
import { useSession } from '../../session/SessionProvider.tsx';
import { describeChanges, type Translate, userIdsIn } from './changes.ts';

type AuditEvent = Ok<'/api/v1/audit/search'>['items'][number];
type Integrity = Ok<'/api/v1/audit/integrity'>;

interface Filters {
  user_id?: string;
  action?: string;
  resource_type?: string;
  outcome?: 'success' | 'failure';
  start_date?: string;
  end_date?: string;
}

/** A `YYYY-MM-DD` from a date input → the RFC 3339 instant of that local midnight. */
function dayStart(day: string, plusDays = 0): string | undefined {
  if (!day) return undefined;
  const d = new Date(`${day}T00:00:00`);
  d.setDate(d.getDate() + plusDays);
  return d.toISOString();
}

export default function AuditPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const [userId, setUserId] = useState<string | null>(null);
  const [action, setAction] = useState('');
  const [resourceType, setResourceType] = useState('');
  const [outcome, setOutcome] = useState<string | null>(null);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [filters, setFilters] = useState<Filters>({});
  const [integrity, setIntegrity] = useState<Integrity | null>(null);

  // Amounts are in the organization's currency; a change of an amount alone does not say which.
  const { can } = useSession();
  const org = useApiQuery(key('organization', 'AuditPage.org'), async () =>
    can('organization:read') ? call(api.GET('/api/v1/organization')) : null,
  );
  const currency = org.data?.currency ?? null;

  // Every search is a listing of its own (a slower answer for older filters never replaces it).
  const list = usePagedQuery(key('audit', 'AuditPage.search', filters), (after) =>
    call(
      api.GET('/api/v1/audit/search', {
        params: { query: { ...filters, limit: 50, ...(after ? { cursor: after } : {}) } },
      }),
    ),
  );
  const events = list.items;
  // Changes name people by user id (an assignee, an owner): the names of those on screen.
  const memberName = useNames(
    memberOptions,
    events.flatMap((e) => userIdsIn(e.changes)),
  );
  const search = useProblemFields(list.error, ['action', 'resource_type']);
  const verify = useSubmit(async () => {
    setIntegrity(await call(api.GET('/api/v1/audit/integrity')));
  });

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const next: Filters = {};
    if (userId) next.user_id = userId;
    if (action.trim()) next.action = action.trim();
    if (resourceType.trim()) next.resource_type = resourceType.trim();
    if (outcome === 'success' || outcome === 'failure') next.outcome = outcome;
    const start = dayStart(from);
    const end = dayStart(to, 1); // the end day is included
    if (start) next.start_date = start;
    if (end) next.end_date = end;
    // The same search again asks again (someone may have acted meanwhile).
    if (JSON.stringify(next) === JSON.stringify(filters)) void list.reload();
    else setFilters(next);
  };

  const exportQuery = Object.fromEntries(
    Object.entries(filters).filter(([, v]) => v !== undefined),
  ) as Record<string, string>;

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('audit.title')}</Title>
        <Group gap="xs">
          <Button variant="default" onClick={() => void verify.run()} loading={verify.busy}>
            {t('audit.verify')}
          </Button>
          <ExportMenu path="/api/v1/audit/export" query={exportQuery} />
        </Group>
      </Group>
      <ProblemAlert error={verify.error} />
      {integrity && (
        <Alert
          color={integrity.ok ? 'green' : 'red'}
          role="status"
          title={integrity.ok ? t('audit.intact') : t('audit.broken')}
        >
          {integrity.ok
            ? t('audit.checked', { count: integrity.checked })
            : t('audit.brokenAt', { seq: integrity.badSeq ?? '?', problem: integrity.problem ?? '' })}
        </Alert>
      )}
      <Card withBorder>
        <form onSubmit={onSubmit} noValidate aria-label={t('audit.filters')}>
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <RemoteSelect
              label={t('audit.actor')}
              placeholder={t('audit.anyone')}
              source={memberOptions}
              value={userId}
              onChange={setUserId}
              clearable
            />
            <TextInput
              label={t('audit.action')}
              description={t('audit.actionHint')}
              value={action}
              onChange={(e) => setAction(e.currentTarget.value)}
              error={search.fieldError('action')}
            />
            <TextInput
              label={t('audit.resourceType')}
              value={resourceType}
              onChange={(e) => setResourceType(e.currentTarget.value)}
              error={search.fieldError('resource_type')}
            />
            <Select
              label={t('audit.outcome')}
              placeholder={t('audit.anyOutcome')}
              data={[
                { value: 'success', label: t('audit.success') },
                { value: 'failure', label: t('audit.failure') },
              ]}
              value={outcome}
              onChange={setOutcome}
              clearable
            />
            <TextInput
              type="date"
              label={t('audit.from')}
              value={from}
              onChange={(e) => setFrom(e.currentTarget.value)}
            />
            <TextInput
              type="date"
              label={t('audit.to')}
              value={to}
              onChange={(e) => setTo(e.currentTarget.value)}
            />
          </SimpleGrid>
          <Group justify="flex-end" mt="sm">
            <Button type="submit" loading={list.fetching}>
              {t('common.search')}
            </Button>
          </Group>
        </form>
      </Card>
      <ProblemAlert error={search.formError} />
      {events.length === 0 && list.loaded ? (
        <Text c="dimmed">{t('audit.none')}</Text>
      ) : (
        <WideTable minWidth={720}>
          <Table verticalSpacing="xs" data-testid="audit-results">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('audit.when')}</Table.Th>
                <Table.Th>{t('audit.actor')}</Table.Th>
                <Table.Th>{t('audit.action')}</Table.Th>
                <Table.Th>{t('audit.resource')}</Table.Th>
                <Table.Th>{t('audit.changes')}</Table.Th>
                <Table.Th>IP</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {events.map((e) => (
                <Table.Tr key={e.id}>
                  <Table.Td>
                    <Text size="xs">{f.dateTime(e.createdAt)}</Text>
                    <Text size="xs" c="dimmed">
                      #{e.seq}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{e.actor.label ?? e.actor.type}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      <Code>{e.action}</Code>
                      {e.outcome === 'failure' && (
                        <Badge color="red" size="xs">
                          {t('audit.failure')}
                        </Badge>
                      )}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs">{e.resourceType ?? '—'}</Text>
                    <Text size="xs" c="dimmed" truncate maw={160}>
                      {e.resourceId ?? ''}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    {e.changes ? <Changes event={e} currency={currency} memberName={memberName} /> : '—'}
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs">{e.ip ?? '—'}</Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </WideTable>
      )}
      {list.more.hasMore && (
        <Button variant="default" onClick={() => void list.more.run()} loading={list.more.busy}>
          {t('common.loadMore')}
        </Button>
      )}
    </Stack>
  );
}

/**
 * The fields an event changed, by their names in the user's language. A creation lists the values
 * it set (not the empty ones); an update or a deletion, each value before → after.
 */
function Changes(props: {
  event: AuditEvent;
  currency: string | null;
  memberName: (userId: string) => string | undefined;
}) {
  const { t } = useTranslation();
  const f = useFormat();
  const changes = props.event.changes ?? {};
  const created = /\.(create|add|register)$/.test(props.event.action);
  const all = describeChanges(changes, {
    resourceType: props.event.resourceType,
    t: t as unknown as Translate,
    f,
    currency: props.currency,
    memberName: props.memberName,
  });
  // A creation's empty fields say nothing.
  const lines = created ? all.filter((c) => c.after !== '—') : all;
  return (
    <Stack gap={0}>
      {lines.map((c) => (
        <Text key={c.field} size="xs" data-field={c.field} lineClamp={3}>
          <b>{c.label}</b>: {created ? c.after : `${c.before} → ${c.after}`}
        </Text>
      ))}
    </Stack>
  );
}
