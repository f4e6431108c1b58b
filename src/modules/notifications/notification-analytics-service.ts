// Notification analytics (N6): over a period (30 days by default, 366 at most), per day in the
// organization's time zone × channel × template, how many notifications were sent, delivered,
// read, failed and skipped, the error rate and the latency from creation to the provider's
// acceptance (p50, p95); the same per channel for the whole period; and WhatsApp's read and
// response rates (a response: an inbound reply matched to the message).
import type { Db } from '../../platform/db/transaction.ts';
import { invalidField } from '../../platform/errors.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import { orgProfile } from './audience.ts';
import { NOTIFICATIONS } from './messages.ts';
import type {
  AnalyticsRowDto,
  ChannelTotalsDto,
  NotificationAnalyticsDto,
  WhatsappDayDto,
} from './notification-analytics-schemas.ts';
import * as store from './notification-analytics-store.ts';

const DAY_MS = 86_400_000;
export const DEFAULT_PERIOD_DAYS = 30;
export const MAX_PERIOD_DAYS = 366;

const ratio = (part: number, whole: number) => (whole === 0 ? null : part / whole);

function figures(r: store.FigureRow) {
  return {
    sent: r.sent,
    delivered: r.delivered,
    read: r.read,
    failed: r.failed,
    skipped: r.skipped,
    errorRate: ratio(r.failed, r.sent + r.failed),
    latencyP50Ms: r.p50,
    latencyP95Ms: r.p95,
  };
}

function whatsappFigures(r: store.WhatsappRow | undefined) {
  const sent = r?.sent ?? 0;
  const read = r?.read ?? 0;
  const responded = r?.responded ?? 0;
  return { sent, read, responded, readRate: ratio(read, sent), responseRate: ratio(responded, sent) };
}

export class NotificationAnalyticsService {
  private readonly db: Db;
  private readonly clock: () => Date;

  constructor(deps: { db: Db; clock: () => Date }) {
    this.db = deps.db;
    this.clock = deps.clock;
  }

  async report(
    ctx: CallContext,
    q: { from?: string; to?: string; channel?: string; eventType?: string },
  ): Promise<NotificationAnalyticsDto> {
    const to = q.to ? new Date(q.to) : this.clock();
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - DEFAULT_PERIOD_DAYS * DAY_MS);
    if (from.getTime() >= to.getTime())
      throw invalidField(q.to ? 'to' : 'from', 'range', NOTIFICATIONS.rangeOrder());
    if (to.getTime() - from.getTime() > MAX_PERIOD_DAYS * DAY_MS)
      throw invalidField('from', 'range', NOTIFICATIONS.rangeTooLong({ days: MAX_PERIOD_DAYS }));
    return this.db.transaction(tenantScope(ctx), async (tx) => {
      const { timezone } = await orgProfile(tx);
      const filter = {
        from,
        to,
        timeZone: timezone,
        channel: q.channel ?? null,
        eventType: q.eventType ?? null,
      };
      const figureRows = await store.figures(tx, filter);
      const whatsappRows = await store.whatsapp(tx, filter);
      const rows: AnalyticsRowDto[] = figureRows
        .filter((r) => r.total === 0)
        .map((r) => ({
          day: r.day!,
          channel: r.channel,
          eventType: r.event_type!,
          templateId: r.template_id,
          templateVersion: r.template_version,
          ...figures(r),
        }));
      const totals: ChannelTotalsDto[] = figureRows
        .filter((r) => r.total === 1)
        .map((r) => ({ channel: r.channel, ...figures(r) }));
      const days: WhatsappDayDto[] = whatsappRows
        .filter((r) => r.day !== null)
        .map((r) => ({ day: r.day!, ...whatsappFigures(r) }));
      return {
        from: from.toISOString(),
        to: to.toISOString(),
        timeZone: timezone,
        rows,
        totals,
        whatsapp: { ...whatsappFigures(whatsappRows.find((r) => r.day === null)), days },
      };
    });
  }
}
