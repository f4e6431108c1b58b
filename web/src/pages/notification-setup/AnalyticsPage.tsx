// Notification analytics over a period (and a channel): sent, delivered and failed per day, the
// figures per channel with error rate and latency (p50, p95), per day × channel × template, and
// WhatsApp's read and response rates. Days are the organization's (the API counts them so).
import { BarChart, LineChart } from '@mantine/charts';
import '@mantine/charts/styles.css';
import { Card, Group, Select, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { key, useApiQuery } from '../../api/queries.ts';
import { ChartOrEmpty } from '../../components/ChartOrEmpty.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { WideTable } from '../../components/WideTable.tsx';
import { useFormat } from '../../format/useFormat.ts';
import { DELIVERY_CHANNELS } from './catalogue.ts';
import { channelName, rate } from './labels.ts';
import type { DeliveryChannel, NotificationAnalytics } from './types.ts';

const DAY_MS = 86_400_000;
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

type Row = NotificationAnalytics['rows'][number];

/** Sent, delivered and failed per day, every channel and template summed. */
function perDay(rows: readonly Row[]) {
  const days = new Map<string, { day: string; sent: number; delivered: number; failed: number }>();
  for (const r of rows) {
    const d = days.get(r.day) ?? { day: r.day, sent: 0, delivered: 0, failed: 0 };
    d.sent += r.sent;
    d.delivered += r.delivered;
    d.failed += r.failed;
    days.set(r.day, d);
  }
  return [...days.values()].sort((a, b) => (a.day < b.day ? -1 : 1));
}

export default function AnalyticsPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const [from, setFrom] = useState(() => isoDay(new Date(Date.now() - 29 * DAY_MS)));
  const [to, setTo] = useState(() => isoDay(new Date()));
  const [channel, setChannel] = useState<string | null>(null);
  const valid = /^\d{4}-\d{2}-\d{2}$/.test(from) && /^\d{4}-\d{2}-\d{2}$/.test(to) && from <= to;
  const query = {
    // Whole days: from the first day's start to the end of the last (UTC midnights; the API
    // counts the days themselves in the organization's time zone).
    from: `${from}T00:00:00.000Z`,
    to: new Date(Date.parse(`${to}T00:00:00.000Z`) + DAY_MS).toISOString(),
    ...(channel ? { channel: channel as DeliveryChannel } : {}),
  };
  const data = useApiQuery(
    key('notification-setup', 'analytics', query),
    () => call(api.GET('/api/v1/notifications/analytics', { params: { query } })),
    { enabled: valid },
  );
  const a = data.data;
  const ms = (v: number | null) =>
    v === null ? '—' : t('notificationSetup.ms', { ms: f.number(Math.round(v)) });
  const days = a ? perDay(a.rows) : [];

  return (
    <Stack>
      <Title order={2}>{t('notificationSetup.analytics.title')}</Title>
      <Group align="end">
        <TextInput
          type="date"
          label={t('notificationSetup.analytics.from')}
          value={from}
          max={to}
          onChange={(e) => setFrom(e.currentTarget.value)}
          w={170}
        />
        <TextInput
          type="date"
          label={t('notificationSetup.analytics.to')}
          value={to}
          min={from}
          onChange={(e) => setTo(e.currentTarget.value)}
          w={170}
        />
        <Select
          label={t('notificationSetup.channelLabel')}
          placeholder={t('notificationSetup.analytics.allChannels')}
          data={DELIVERY_CHANNELS.map((c) => ({ value: c, label: channelName(t, c) }))}
          value={channel}
          onChange={setChannel}
          clearable
          w={180}
        />
      </Group>
      {!valid && (
        <Text size="sm" c="red">
          {t('notificationSetup.analytics.badRange')}
        </Text>
      )}
      <ProblemAlert error={data.error} />
      {a && (
        <>
          <Card withBorder>
            <Title order={4} mb="sm">
              {t('notificationSetup.analytics.perDay')}
            </Title>
            <ChartOrEmpty message={t('common.chartEmptyPeriod')}>
              <BarChart
                h={240}
                data={days.map((d) => ({ ...d, label: f.dayShort(d.day) }))}
                dataKey="label"
                series={[
                  { name: 'sent', label: t('notificationSetup.analytics.sent'), color: 'blue.6' },
                  { name: 'delivered', label: t('notificationSetup.analytics.delivered'), color: 'teal.6' },
                  { name: 'failed', label: t('notificationSetup.analytics.failed'), color: 'red.6' },
                ]}
                yAxisProps={{ allowDecimals: false }}
              />
            </ChartOrEmpty>
          </Card>
          <Card withBorder>
            <Title order={4} mb="sm">
              {t('notificationSetup.analytics.perChannel')}
            </Title>
            {a.totals.length === 0 ? (
              <Text size="sm" c="dimmed">
                {t('common.chartEmptyPeriod')}
              </Text>
            ) : (
              <WideTable minWidth={820}>
                <Table verticalSpacing="xs" data-testid="analytics-channels">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>{t('notificationSetup.channelLabel')}</Table.Th>
                      <FigureHeaders />
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {a.totals.map((c) => (
                      <Table.Tr key={c.channel}>
                        <Table.Td>{channelName(t, c.channel)}</Table.Td>
                        <FigureCells row={c} ms={ms} />
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </WideTable>
            )}
          </Card>
          <Card withBorder>
            <Title order={4} mb={4}>
              {t('notificationSetup.analytics.perTemplate')}
            </Title>
            <Text size="xs" c="dimmed" mb="sm">
              {t('notificationSetup.analytics.perTemplateHelp')}
            </Text>
            {a.rows.length === 0 ? (
              <Text size="sm" c="dimmed">
                {t('common.chartEmptyPeriod')}
              </Text>
            ) : (
              <WideTable minWidth={1100}>
                <Table verticalSpacing="xs" data-testid="analytics-templates">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>{t('notificationSetup.analytics.day')}</Table.Th>
                      <Table.Th>{t('notificationSetup.channelLabel')}</Table.Th>
                      <Table.Th>{t('notificationSetup.analytics.template')}</Table.Th>
                      <FigureHeaders />
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {[...a.rows].reverse().map((r) => (
                      <Table.Tr
                        key={`${r.day}|${r.channel}|${r.eventType}|${r.templateId}|${r.templateVersion}`}
                      >
                        <Table.Td>{f.day(r.day)}</Table.Td>
                        <Table.Td>{channelName(t, r.channel)}</Table.Td>
                        <Table.Td>
                          <Text size="sm">{r.eventType}</Text>
                          <Text size="xs" c="dimmed">
                            {r.templateVersion !== null
                              ? t('notificationSetup.templates.versionN', { n: r.templateVersion })
                              : t('notificationSetup.templates.sourceName.builtin')}
                          </Text>
                        </Table.Td>
                        <FigureCells row={r} ms={ms} />
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </WideTable>
            )}
          </Card>
          <Whatsapp figures={a.whatsapp} />
        </>
      )}
    </Stack>
  );
}

type FigureRow = NotificationAnalytics['totals'][number];

/** The same figures in both tables: counts, error rate, latency. */
function FigureHeaders() {
  const { t } = useTranslation();
  return (
    <>
      <Table.Th ta="right">{t('notificationSetup.analytics.sent')}</Table.Th>
      <Table.Th ta="right">{t('notificationSetup.analytics.delivered')}</Table.Th>
      <Table.Th ta="right">{t('notificationSetup.analytics.read')}</Table.Th>
      <Table.Th ta="right">{t('notificationSetup.analytics.failed')}</Table.Th>
      <Table.Th ta="right">{t('notificationSetup.analytics.skipped')}</Table.Th>
      <Table.Th ta="right">{t('notificationSetup.analytics.errorRate')}</Table.Th>
      <Table.Th ta="right">{t('notificationSetup.analytics.p50')}</Table.Th>
      <Table.Th ta="right">{t('notificationSetup.analytics.p95')}</Table.Th>
    </>
  );
}

function FigureCells({ row, ms }: { row: FigureRow; ms: (v: number | null) => string }) {
  const f = useFormat();
  return (
    <>
      <Table.Td ta="right">{f.number(row.sent)}</Table.Td>
      <Table.Td ta="right">{f.number(row.delivered)}</Table.Td>
      <Table.Td ta="right">{f.number(row.read)}</Table.Td>
      <Table.Td ta="right">{f.number(row.failed)}</Table.Td>
      <Table.Td ta="right">{f.number(row.skipped)}</Table.Td>
      <Table.Td ta="right">{rate(f.percent, row.errorRate)}</Table.Td>
      <Table.Td ta="right">{ms(row.latencyP50Ms)}</Table.Td>
      <Table.Td ta="right">{ms(row.latencyP95Ms)}</Table.Td>
    </>
  );
}

function Whatsapp({ figures }: { figures: NotificationAnalytics['whatsapp'] }) {
  const { t } = useTranslation();
  const f = useFormat();
  return (
    <Card withBorder>
      <Title order={4} mb="sm">
        {t('notificationSetup.analytics.whatsapp')}
      </Title>
      <SimpleGrid cols={{ base: 2, sm: 4 }} mb="sm">
        <Stat label={t('notificationSetup.analytics.sent')} value={f.number(figures.sent)} />
        <Stat label={t('notificationSetup.analytics.readRate')} value={rate(f.percent, figures.readRate)} />
        <Stat
          label={t('notificationSetup.analytics.responseRate')}
          value={rate(f.percent, figures.responseRate)}
        />
        <Stat label={t('notificationSetup.analytics.responded')} value={f.number(figures.responded)} />
      </SimpleGrid>
      <ChartOrEmpty message={t('common.chartEmptyPeriod')}>
        <LineChart
          h={200}
          data={figures.days.map((d) => ({ label: f.dayShort(d.day), sent: d.sent, read: d.read }))}
          dataKey="label"
          series={[
            { name: 'sent', label: t('notificationSetup.analytics.sent'), color: 'blue.6' },
            { name: 'read', label: t('notificationSetup.analytics.read'), color: 'teal.6' },
          ]}
          yAxisProps={{ allowDecimals: false }}
        />
      </ChartOrEmpty>
    </Card>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <Stack gap={0}>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={600} size="lg">
        {value}
      </Text>
    </Stack>
  );
}
