// The cache (super admins): the answering process's figures (store, entries, size, hit rate, load
// latency) and each family's, the hit rate over time of every process (the monitoring series
// cache.hit_rate.percent), and invalidation by tag of one organization or of the platform. The
// figures change without any domain event: asked again every 15 seconds.
import {
  Badge,
  Button,
  Card,
  Group,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { key, useApiQuery } from '../../api/queries.ts';
import type { Ok } from '../../api/types.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { platformOrganizationOptions, RemoteSelect } from '../../components/RemoteSelect.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { WideTable } from '../../components/WideTable.tsx';
import { useFormat } from '../../format/useFormat.ts';
import { Kpi } from './Kpi.tsx';
import { formatValue } from './labels.ts';
import { MetricChart } from './MonitoringPage.tsx';

type Metrics = Ok<'/api/v1/cache/metrics'>;
type Range = '1h' | '24h' | '7d';
const STEP: Record<Range, number> = { '1h': 60, '24h': 300, '7d': 3600 };
const REFRESH_MS = 15_000;
const BREAKER_COLORS: Record<string, string> = { closed: 'green', open: 'red', 'half-open': 'yellow' };

export default function CachePage() {
  const { t } = useTranslation();
  const [range, setRange] = useState<Range>('24h');
  const metrics = useApiQuery(key('monitoring', 'cache'), () => call(api.GET('/api/v1/cache/metrics')), {
    refetchEveryMs: REFRESH_MS,
  });
  const m = metrics.data;
  return (
    <Stack>
      <Title order={2}>{t('operations.cache.title')}</Title>
      <ProblemAlert error={metrics.error} />
      {!m && !metrics.error && <Text c="dimmed">{t('common.loading')}</Text>}
      {m && <Figures m={m} />}
      <Card withBorder data-testid="cache-over-time">
        <Stack gap="sm">
          <Group justify="space-between">
            <Title order={3}>{t('operations.cache.overTime')}</Title>
            <SegmentedControl
              aria-label={t('operations.monitoring.range')}
              value={range}
              onChange={(v) => setRange(v as Range)}
              data={(['1h', '24h', '7d'] as const).map((r) => ({
                value: r,
                label: t(`operations.monitoring.range_${r}`),
              }))}
            />
          </Group>
          <MetricChart
            key={range}
            metric="cache.hit_rate.percent"
            scope="platform"
            range={range}
            stepSeconds={STEP[range]}
            refreshMs={REFRESH_MS}
          />
        </Stack>
      </Card>
      <InvalidateForm onDone={() => void metrics.reload()} />
    </Stack>
  );
}

function Figures({ m }: { m: Metrics }) {
  const { t } = useTranslation();
  const f = useFormat();
  const pct = (v: number | null) => formatValue(f, 'percent', v);
  const ms = (v: number | null) => formatValue(f, 'ms', v);
  return (
    <Card withBorder data-testid="cache-figures">
      <Stack gap="sm">
        <Text size="sm" c="dimmed">
          {t('operations.cache.intro', { process: m.process })}
        </Text>
        <SimpleGrid cols={{ base: 2, md: 6 }}>
          <Kpi
            label={t('operations.cache.store')}
            value={t(`operations.cache.stores.${m.store}`)}
            testId="cache-store"
          />
          <Kpi label={t('operations.cache.hitRate')} value={pct(m.hitRatePct)} testId="cache-hit-rate" />
          <Kpi label={t('operations.cache.entries')} value={f.number(m.entries)} testId="cache-entries" />
          <Kpi
            label={t('operations.cache.size')}
            value={formatValue(f, 'bytes', m.bytes)}
            testId="cache-bytes"
          />
          <Kpi label={t('operations.cache.reads')} value={f.number(m.reads)} testId="cache-reads" />
          <Kpi label={t('operations.cache.loadAvg')} value={ms(m.loadAvgMs)} testId="cache-load-avg" />
        </SimpleGrid>
        {m.families.length === 0 ? (
          <Text c="dimmed">{t('operations.cache.noFamilies')}</Text>
        ) : (
          <WideTable minWidth={900}>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('operations.cache.family')}</Table.Th>
                  <Table.Th ta="right">{t('operations.cache.reads')}</Table.Th>
                  <Table.Th ta="right">{t('operations.cache.hitRate')}</Table.Th>
                  <Table.Th ta="right">{t('operations.cache.stale')}</Table.Th>
                  <Table.Th ta="right">{t('operations.cache.misses')}</Table.Th>
                  <Table.Th ta="right">{t('operations.cache.loads')}</Table.Th>
                  <Table.Th ta="right">{t('operations.cache.loadAvg')}</Table.Th>
                  <Table.Th ta="right">{t('operations.cache.loadMax')}</Table.Th>
                  <Table.Th>{t('operations.cache.breaker')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {m.families.map((fam) => (
                  <Table.Tr key={fam.family} data-family={fam.family}>
                    <Table.Td>
                      <Text ff="monospace" size="sm">
                        {fam.family}
                      </Text>
                    </Table.Td>
                    <Table.Td ta="right">{f.number(fam.reads)}</Table.Td>
                    <Table.Td ta="right" data-testid="family-hit-rate">
                      {pct(fam.hitRatePct)}
                    </Table.Td>
                    <Table.Td ta="right">{f.number(fam.stale)}</Table.Td>
                    <Table.Td ta="right">{f.number(fam.misses)}</Table.Td>
                    <Table.Td ta="right">{f.number(fam.loads)}</Table.Td>
                    <Table.Td ta="right">{ms(fam.loadAvgMs)}</Table.Td>
                    <Table.Td ta="right">{ms(fam.loadMaxMs)}</Table.Td>
                    <Table.Td>
                      <Badge color={BREAKER_COLORS[fam.breaker] ?? 'gray'} variant="light">
                        {t(`operations.cache.breakers.${fam.breaker}`)}
                      </Badge>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </WideTable>
        )}
      </Stack>
    </Card>
  );
}

const FIELDS = ['organizationId', 'platform', 'tag'] as const;

function InvalidateForm({ onDone }: { onDone: () => void }) {
  const { t } = useTranslation();
  const [scope, setScope] = useState<'organization' | 'platform'>('organization');
  const [organizationId, setOrganizationId] = useState<string | null>(null);
  const [tag, setTag] = useState('analytics');
  const [done, setDone] = useState<string | null>(null);
  const submit = useSubmit(async () => {
    setDone(null);
    const r = await call(
      api.POST('/api/v1/cache/invalidate', {
        body:
          scope === 'platform'
            ? { tag, platform: true }
            : // Sent as chosen (possibly none): the API names the missing field, in the UI's language.
              { tag, ...(organizationId ? { organizationId } : {}) },
      }),
    );
    setDone(r.tag);
    onDone();
  }, FIELDS);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  return (
    <Card withBorder>
      <form onSubmit={onSubmit} noValidate aria-label={t('operations.cache.invalidate.title')}>
        <Stack gap="sm">
          <Title order={3}>{t('operations.cache.invalidate.title')}</Title>
          <Text size="sm" c="dimmed">
            {t('operations.cache.invalidate.hint')}
          </Text>
          <ProblemAlert error={submit.formError} />
          <SegmentedControl
            aria-label={t('operations.cache.invalidate.scope')}
            value={scope}
            onChange={(v) => setScope(v as 'organization' | 'platform')}
            data={[
              { value: 'organization', label: t('operations.cache.invalidate.organization') },
              { value: 'platform', label: t('operations.cache.invalidate.platform') },
            ]}
          />
          <Group align="flex-start" grow wrap="wrap" preventGrowOverflow={false}>
            {scope === 'organization' && (
              <RemoteSelect
                source={platformOrganizationOptions}
                label={t('operations.cache.invalidate.organization')}
                placeholder={t('operations.cache.invalidate.organizationSearch')}
                clearable
                miw={260}
                value={organizationId}
                onChange={(v) => setOrganizationId(v)}
                nothingFoundMessage={t('operations.cache.invalidate.noOrganization')}
                error={submit.fieldError('organizationId') ?? submit.fieldError('platform')}
              />
            )}
            <Select
              label={t('operations.cache.invalidate.tag')}
              allowDeselect={false}
              miw={260}
              value={tag}
              onChange={(v) => v && setTag(v)}
              data={[
                { value: 'analytics', label: t('operations.cache.invalidate.tags.analytics') },
                { value: '*', label: t('operations.cache.invalidate.tags.all') },
              ]}
              error={submit.fieldError('tag')}
            />
          </Group>
          <Group>
            <Button type="submit" loading={submit.busy}>
              {t('operations.cache.invalidate.submit')}
            </Button>
            {done && (
              <Text size="sm" c="green" role="status">
                {t('operations.cache.invalidate.done', { tag: done })}
              </Text>
            )}
          </Group>
        </Stack>
      </form>
    </Card>
  );
}
