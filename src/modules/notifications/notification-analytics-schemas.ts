// The notification analytics API's schemas (validation, types and OpenAPI): delivery figures per
// day, channel and template over a period, totals per channel, WhatsApp read and response rates.
import { type Static, Type } from 'typebox';
import { DateOnly, Nullable, Timestamp, Uuid } from '../../platform/http/common-schemas.ts';
import { Channel } from './schemas.ts';

export const AnalyticsQuery = Type.Object(
  {
    from: Type.Optional(Timestamp('Notifications created at or after (default: 30 days before `to`).')),
    to: Type.Optional(Timestamp('Created before (default: now). At most 366 days after `from`.')),
    channel: Type.Optional(Channel),
    eventType: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);

const Figures = {
  sent: Type.Integer({ description: 'Accepted by the provider (now sent, delivered or read).' }),
  delivered: Type.Integer({ description: 'Delivered or read.' }),
  read: Type.Integer(),
  failed: Type.Integer({ description: 'Refused for good, or retries exhausted (dead).' }),
  skipped: Type.Integer({ description: 'Not sent: opted out, no address, no consent, no provider...' }),
  errorRate: Nullable(Type.Number({ description: 'failed / (sent + failed); null when both are 0.' })),
  latencyP50Ms: Nullable(
    Type.Number({ description: 'Median time from creation to the provider accepting it, in ms.' }),
  ),
  latencyP95Ms: Nullable(Type.Number({ description: '95th percentile of the same, in ms.' })),
};

export const AnalyticsRow = Type.Object({
  day: DateOnly("In the organization's time zone."),
  channel: Type.String(),
  eventType: Type.String(),
  templateId: Nullable(Uuid("The organization's template; null: the built-in one (or a one-off message).")),
  templateVersion: Nullable(Type.Integer()),
  ...Figures,
});
export type AnalyticsRowDto = Static<typeof AnalyticsRow>;

export const ChannelTotals = Type.Object({ channel: Type.String(), ...Figures });
export type ChannelTotalsDto = Static<typeof ChannelTotals>;

const WhatsappFigures = {
  sent: Type.Integer(),
  read: Type.Integer(),
  responded: Type.Integer({ description: 'Sent messages the recipient replied to.' }),
  readRate: Nullable(Type.Number({ description: 'read / sent; null when none was sent.' })),
  responseRate: Nullable(Type.Number({ description: 'responded / sent; null when none was sent.' })),
};
export const WhatsappDay = Type.Object({ day: DateOnly(), ...WhatsappFigures });
export type WhatsappDayDto = Static<typeof WhatsappDay>;

export const NotificationAnalytics = Type.Object({
  from: Timestamp(),
  to: Timestamp(),
  timeZone: Type.String({ description: "The organization's, in which days are counted." }),
  rows: Type.Array(AnalyticsRow, { description: 'Per day × channel × template, by day.' }),
  totals: Type.Array(ChannelTotals, { description: 'Per channel over the whole period.' }),
  whatsapp: Type.Object({ ...WhatsappFigures, days: Type.Array(WhatsappDay) }),
});
export type NotificationAnalyticsDto = Static<typeof NotificationAnalytics>;
