// Alerts: the organization's alerts (or the platform's, for super admins), filtered by status and
// severity, each with its history; members who manage alerts acknowledge one (with a comment),
// resolve it by hand, or silence its rule's notifications for a while. Kept current by the
// realtime connection: alert.fired, alert.acknowledged and alert.resolved refresh the list.
import {
  Badge,
  Button,
  Drawer,
  Group,
  Modal,
  SegmentedControl,
  Select,
  Stack,
  Text,
  Textarea,
  Timeline,
} from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { key, useApiQuery, usePagedQuery } from '../../api/queries.ts';
import type { Ok } from '../../api/types.ts';
import { ListPage, ListTable } from '../../components/ListPage.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { useFormat } from '../../format/useFormat.ts';
import { useMe, useSession } from '../../session/SessionProvider.tsx';
import { severityName } from './labels.ts';
import { SeverityBadge } from './SeverityBadge.tsx';

type Alert = Ok<'/api/v1/alerts/list'>['items'][number];
type AlertStatus = Alert['status'];
type Severity = Alert['severity'];
type Scope = 'organization' | 'platform';
type StatusFilter = AlertStatus | 'active';

const STATUSES: StatusFilter[] = ['active', 'firing', 'acknowledged', 'pending', 'resolved'];
export const ALERT_SEVERITIES: Severity[] = ['critical', 'error', 'warning', 'info'];
const STATUS_COLORS: Record<string, string> = {
  pending: 'gray',
  firing: 'red',
  acknowledged: 'yellow',
  resolved: 'green',
  silenced: 'grape',
};
const SILENCE_HOURS = [1, 4, 24, 72] as const;

export function AlertSeverityBadge({ severity }: { severity: string }) {
  const { t } = useTranslation();
  return <SeverityBadge severity={severity}>{severityName(t, severity)}</SeverityBadge>;
}

function AlertStatusBadge({ status }: { status: string }) {
  const { t } = useTranslation();
  return (
    <Badge color={STATUS_COLORS[status] ?? 'gray'} variant="light" data-status={status}>
      {t(`operations.alerts.status.${status}` as 'operations.alerts.status.firing', { defaultValue: status })}
    </Badge>
  );
}

type Dialog = { kind: 'acknowledge' | 'resolve' | 'silence'; alert: Alert } | null;

export default function AlertsPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const me = useMe();
  const { can } = useSession();
  const manage = can('alerts:manage');
  const [scope, setScope] = useState<Scope>('organization');
  const [status, setStatus] = useState<StatusFilter | null>('active');
  const [severity, setSeverity] = useState<Severity | null>(null);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [history, setHistory] = useState<Alert | null>(null);
  const alerts = usePagedQuery(key('alerts', 'list', scope, status, severity), (cursor) =>
    call(
      api.GET('/api/v1/alerts/list', {
        params: {
          query: {
            scope,
            limit: 50,
            ...(status ? { status } : {}),
            ...(severity ? { severity } : {}),
            ...(cursor ? { cursor } : {}),
          },
        },
      }),
    ),
  );
  const all = t('operations.all');

  return (
    <ListPage
      title={t('operations.alerts.title')}
      actions={
        me.user.isSuperAdmin && (
          <SegmentedControl
            aria-label={t('operations.scope.label')}
            value={scope}
            onChange={(v) => setScope(v as Scope)}
            data={[
              { value: 'organization', label: t('operations.scope.organization') },
              { value: 'platform', label: t('operations.scope.platform') },
            ]}
          />
        )
      }
      filters={
        <>
          <Select
            label={t('operations.alerts.status.label')}
            placeholder={all}
            clearable
            w={180}
            value={status}
            onChange={(v) => setStatus(v as StatusFilter | null)}
            data={STATUSES.map((s) => ({ value: s, label: t(`operations.alerts.status.${s}`) }))}
          />
          <Select
            label={t('operations.alerts.severityLabel')}
            placeholder={all}
            clearable
            w={180}
            value={severity}
            onChange={(v) => setSeverity(v as Severity | null)}
            data={ALERT_SEVERITIES.map((s) => ({ value: s, label: severityName(t, s) }))}
          />
        </>
      }
    >
      <ListTable
        list={alerts}
        minWidth={960}
        empty={<Text c="dimmed">{t('operations.alerts.none')}</Text>}
        rowProps={(a) => ({ 'data-alert': a.title, 'data-status': a.status })}
        columns={[
          {
            header: t('operations.alerts.alert'),
            cell: (a) => (
              <Stack gap={2}>
                <Text size="sm">{a.title}</Text>
                {a.ruleName !== a.title && (
                  <Text size="xs" c="dimmed">
                    {a.ruleName}
                  </Text>
                )}
                {a.ackComment && (
                  <Text size="xs" c="dimmed" data-testid="ack-comment">
                    {t('operations.alerts.acknowledgedBy', {
                      time: f.dateTime(a.acknowledgedAt),
                      comment: a.ackComment,
                    })}
                  </Text>
                )}
              </Stack>
            ),
          },
          {
            header: t('operations.alerts.severityLabel'),
            cell: (a) => <AlertSeverityBadge severity={a.severity} />,
          },
          {
            header: t('operations.alerts.status.label'),
            cell: (a) => (
              <Stack gap={2}>
                <AlertStatusBadge status={a.status} />
                {/* The silence is the rule's: it says nothing about an alert already resolved. */}
                {a.status !== 'resolved' && a.silencedUntil && new Date(a.silencedUntil) > new Date() && (
                  <Text size="xs" c="dimmed">
                    {t('operations.alerts.silencedUntil', { time: f.dateTime(a.silencedUntil) })}
                  </Text>
                )}
              </Stack>
            ),
          },
          {
            header: t('operations.alerts.value'),
            align: 'right',
            cell: (a) => (a.value === null ? '—' : f.number(Math.round(a.value * 100) / 100)),
          },
          { header: t('operations.alerts.started'), cell: (a) => f.dateTime(a.firedAt ?? a.startedAt) },
          {
            header: t('common.actions'),
            cell: (a) => (
              <Group gap="xs" wrap="nowrap">
                {manage && (a.status === 'firing' || a.status === 'pending') && (
                  <Button
                    size="xs"
                    onClick={() => setDialog({ kind: 'acknowledge', alert: a })}
                    aria-label={t('operations.alerts.acknowledgeWho', { title: a.title })}
                  >
                    {t('operations.alerts.acknowledge')}
                  </Button>
                )}
                {manage && a.status !== 'resolved' && (
                  <Button
                    size="xs"
                    variant="default"
                    onClick={() => setDialog({ kind: 'resolve', alert: a })}
                    aria-label={t('operations.alerts.resolveWho', { title: a.title })}
                  >
                    {t('operations.alerts.resolve')}
                  </Button>
                )}
                {manage && a.status !== 'resolved' && (
                  <Button
                    size="xs"
                    variant="default"
                    onClick={() => setDialog({ kind: 'silence', alert: a })}
                    aria-label={t('operations.alerts.silenceWho', { title: a.title })}
                  >
                    {t('operations.alerts.silence')}
                  </Button>
                )}
                <Button
                  size="xs"
                  variant="subtle"
                  onClick={() => setHistory(a)}
                  aria-label={t('operations.alerts.historyWho', { title: a.title })}
                >
                  {t('operations.alerts.history')}
                </Button>
              </Group>
            ),
          },
        ]}
      />
      {dialog && (
        <AlertAction
          dialog={dialog}
          scope={scope}
          onClose={() => setDialog(null)}
          onDone={() => {
            setDialog(null);
            void alerts.reload();
          }}
        />
      )}
      <Drawer
        opened={history !== null}
        onClose={() => setHistory(null)}
        position="right"
        size="md"
        title={history ? t('operations.alerts.historyWho', { title: history.title }) : ''}
      >
        {history && <AlertHistory alert={history} scope={scope} />}
      </Drawer>
    </ListPage>
  );
}

/** Acknowledge, resolve or silence one alert, with an optional comment. */
function AlertAction(props: {
  dialog: NonNullable<Dialog>;
  scope: Scope;
  onClose: () => void;
  onDone: () => void;
}) {
  const { t } = useTranslation();
  const { kind, alert } = props.dialog;
  const [comment, setComment] = useState('');
  const [hours, setHours] = useState('4');
  const scope = props.scope;
  const submit = useSubmit(async () => {
    const text = comment.trim() ? { comment: comment.trim() } : {};
    const body = { alertId: alert.id, scope, ...text };
    if (kind === 'acknowledge') await call(api.POST('/api/v1/alerts/acknowledge', { body }));
    else if (kind === 'resolve') await call(api.POST('/api/v1/alerts/resolve', { body }));
    else {
      const until = new Date(Date.now() + Number(hours) * 3_600_000).toISOString();
      await call(api.POST('/api/v1/alerts/silence', { body: { ...body, until } }));
    }
    props.onDone();
  }, ['comment', 'until']);
  const title = {
    acknowledge: t('operations.alerts.acknowledgeTitle'),
    resolve: t('operations.alerts.resolveTitle'),
    silence: t('operations.alerts.silenceTitle'),
  }[kind];
  const label = {
    acknowledge: t('operations.alerts.acknowledge'),
    resolve: t('operations.alerts.resolve'),
    silence: t('operations.alerts.silence'),
  }[kind];
  return (
    <Modal opened onClose={props.onClose} title={title}>
      <form
        aria-label={title}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit.run();
        }}
      >
        <Stack>
          <Text size="sm" fw={500}>
            {alert.title}
          </Text>
          <ProblemAlert error={submit.formError} />
          {kind === 'silence' && (
            <Select
              label={t('operations.alerts.silenceFor')}
              value={hours}
              onChange={(v) => v && setHours(v)}
              allowDeselect={false}
              error={submit.fieldError('until')}
              data={SILENCE_HOURS.map((h) => ({
                value: String(h),
                label: t('operations.alerts.silenceHours', { count: h }),
              }))}
            />
          )}
          <Textarea
            label={t('operations.alerts.comment')}
            value={comment}
            onChange={(e) => setComment(e.currentTarget.value)}
            error={submit.fieldError('comment')}
            autosize
            minRows={2}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={props.onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={submit.busy}>
              {label}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** Every transition of one alert, oldest first: who (a member or the evaluator), when, the value, the comment. */
function AlertHistory({ alert, scope }: { alert: Alert; scope: Scope }) {
  const { t } = useTranslation();
  const f = useFormat();
  const one = useApiQuery(key('alerts', 'one', alert.id, scope), () =>
    call(api.GET('/api/v1/alerts/{id}', { params: { path: { id: alert.id }, query: { scope } } })),
  );
  const items = one.data?.history ?? [];
  return (
    <Stack data-testid="alert-history">
      <ProblemAlert error={one.error} />
      {!one.data && !one.error && <Text c="dimmed">{t('common.loading')}</Text>}
      {one.data && (
        <Timeline active={items.length - 1} bulletSize={16} lineWidth={2}>
          {items.map((h, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the history is append-only
            <Timeline.Item key={i} title={<AlertStatusBadge status={h.to} />} data-transition={h.to}>
              <Text size="xs" c="dimmed">
                {f.dateTime(h.at)} ·{' '}
                {h.actorName
                  ? t('operations.alerts.byName', { name: h.actorName })
                  : h.actorId
                    ? t('operations.alerts.byMember')
                    : t('operations.alerts.byEvaluator')}
                {h.value !== null ? ` · ${f.number(Math.round(h.value * 100) / 100)}` : ''}
              </Text>
              {h.comment && <Text size="sm">{h.comment}</Text>}
            </Timeline.Item>
          ))}
        </Timeline>
      )}
    </Stack>
  );
}
