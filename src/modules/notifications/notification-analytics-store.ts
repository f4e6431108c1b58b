// SQL of notification analytics (N6): each figure family in one grouped statement over the
// notifications created in a period, with days counted in the organization's time zone.
import type { Sql } from '../../platform/db/transaction.ts';

export interface AnalyticsFilter {
  from: Date;
  to: Date;
  timeZone: string;
  channel: string | null;
  eventType: string | null;
}

/** Counts and latency of one group; day and template are null on the per-channel totals. */
export interface FigureRow {
  day: string | null;
  channel: string;
  event_type: string | null;
  template_id: string | null;
  template_version: number | null;
  /** 0: a day × channel × template row; 1: a channel's total (GROUPING of the day). */
  total: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  skipped: number;
  p50: number | null;
  p95: number | null;
}

const WHERE = `created_at >= $1 AND created_at < $2 AND ($4::text IS NULL OR channel = $4)
  AND ($5::text IS NULL OR event_type = $5)`;

const DAY = `to_char((created_at AT TIME ZONE $3)::date, 'YYYY-MM-DD')`;

/** Latency from creation to the provider's acceptance, in ms, to a tenth. */
const latency = (p: number) =>
  `round((percentile_cont(${p}) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at)::float8 * 1000)
     FILTER (WHERE sent_at IS NOT NULL))::numeric, 1)::float8`;

/**
 * Per day × channel × template, and per channel over the period (GROUPING SETS: a percentile of
 * the whole is not a sum of the days'). `sent` counts what a provider accepted and is still so or
 * further (sent, delivered, read); `failed` what was refused or ran out of retries.
 */
export async function figures(sql: Sql, f: AnalyticsFilter): Promise<FigureRow[]> {
  const { rows } = await sql.query<FigureRow>(
    `SELECT ${DAY} AS day, channel, event_type, template_id, template_version,
       GROUPING(${DAY}) AS total,
       count(*) FILTER (WHERE status IN ('sent', 'delivered', 'read'))::int AS sent,
       count(*) FILTER (WHERE status IN ('delivered', 'read'))::int AS delivered,
       count(*) FILTER (WHERE status = 'read')::int AS read,
       count(*) FILTER (WHERE status IN ('failed', 'dead'))::int AS failed,
       count(*) FILTER (WHERE status = 'skipped')::int AS skipped,
       ${latency(0.5)} AS p50, ${latency(0.95)} AS p95
     FROM notifications WHERE ${WHERE}
     GROUP BY GROUPING SETS ((${DAY}, channel, event_type, template_id, template_version), (channel))
     ORDER BY total, day, channel, event_type, template_id NULLS FIRST, template_version NULLS FIRST`,
    [f.from, f.to, f.timeZone, f.channel, f.eventType],
  );
  return rows;
}

export interface WhatsappRow {
  /** Null on the period's total. */
  day: string | null;
  sent: number;
  read: number;
  responded: number;
}

/** WhatsApp messages sent, read, and answered (an inbound reply matched to them), per day and in all. */
export async function whatsapp(sql: Sql, f: AnalyticsFilter): Promise<WhatsappRow[]> {
  const { rows } = await sql.query<WhatsappRow>(
    `SELECT ${DAY} AS day,
       count(*) FILTER (WHERE status IN ('sent', 'delivered', 'read'))::int AS sent,
       count(*) FILTER (WHERE status = 'read')::int AS read,
       count(*) FILTER (WHERE status IN ('sent', 'delivered', 'read') AND EXISTS
         (SELECT 1 FROM notification_inbound i WHERE i.notification_id = n.id))::int AS responded
     FROM notifications n WHERE channel = 'whatsapp' AND ${WHERE}
     GROUP BY ROLLUP (${DAY}) ORDER BY GROUPING(${DAY}), day`,
    [f.from, f.to, f.timeZone, f.channel, f.eventType],
  );
  return rows;
}
