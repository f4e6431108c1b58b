// The schemas of a member's own notification settings (validation, types and OpenAPI): which
// event types and channels they want, quiet hours in their time zone, and their phone numbers and
// push devices.
import { type Static, Type } from 'typebox';
import { Nullable, StringEnum, Timestamp, Uuid } from '../../platform/http/common-schemas.ts';
import { DELIVERY_CHANNELS } from './channels/provider.ts';
import { RULE_EVENT_TYPES } from './rule-schemas.ts';
import { CUSTOM_MESSAGE_EVENT } from './send-service.ts';

/** What a member can opt in or out of: the rules' event types and the API's one-off messages. */
export const PREFERENCE_EVENT_TYPES: readonly string[] = [...RULE_EVENT_TYPES, CUSTOM_MESSAGE_EVENT];

export const Preference = Type.Object(
  {
    eventType: StringEnum(['*', ...PREFERENCE_EVENT_TYPES], { description: '`*`: any event type.' }),
    channel: StringEnum(['*', ...DELIVERY_CHANNELS], { description: '`*`: any channel.' }),
    enabled: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type PreferenceDto = Static<typeof Preference>;

export const MyPreferences = Type.Object({
  items: Type.Array(Preference, {
    description:
      'My choices. The most specific one wins: event type and channel, then event type on any channel, then any event type on the channel, then `*`/`*`; without one, on.',
  }),
  eventTypes: Type.Array(Type.Object({ eventType: Type.String(), channels: Type.Array(Type.String()) }), {
    description: "What the organization's enabled rules notify about, and on which channels.",
  }),
});

export const PutPreferencesBody = Type.Object(
  {
    items: Type.Array(Preference, {
      maxItems: 500,
      description: 'The whole set: it replaces every choice saved before.',
    }),
  },
  { additionalProperties: false },
);

const Clock = Type.String({
  maxLength: 5,
  examples: ['22:00'],
  description: 'Local time HH:MM (00:00–23:59).',
});

/**
 * While it lasts, notifications on channels other than the inbox wait until it ends (critical ones
 * do not). Null in MySettings: none.
 */
export const QuietHours = Type.Object(
  {
    start: Clock,
    end: Type.String({
      maxLength: 5,
      examples: ['07:00'],
      description: 'Local time HH:MM; before `start` when the window wraps midnight.',
    }),
  },
  { additionalProperties: false },
);

export const MySettings = Type.Object(
  {
    timeZone: Nullable(
      Type.String({
        maxLength: 100,
        examples: ['America/New_York'],
        description: "IANA time zone of my quiet hours and dates; null: the organization's.",
      }),
    ),
    quietHours: Nullable(QuietHours),
  },
  { additionalProperties: false },
);
export type MySettingsDto = Static<typeof MySettings>;

export const ADDRESS_CHANNELS = ['sms', 'whatsapp', 'push'] as const;

export const NotificationAddress = Type.Object({
  id: Uuid(),
  channel: StringEnum(ADDRESS_CHANNELS),
  address: Type.String(),
  label: Type.String(),
  createdAt: Timestamp(),
});
export type NotificationAddressDto = Static<typeof NotificationAddress>;

export const NotificationAddressList = Type.Object({ items: Type.Array(NotificationAddress) });

export const CreateAddressBody = Type.Object(
  {
    channel: StringEnum(ADDRESS_CHANNELS),
    address: Type.String({
      minLength: 1,
      maxLength: 4096,
      examples: ['+14155550123'],
      description:
        'sms, whatsapp: a phone number in E.164 form (+14155550123). push: an FCM registration token.',
    }),
    label: Type.Optional(Type.String({ maxLength: 100, description: 'e.g. "Work phone", "Pixel 8".' })),
  },
  { additionalProperties: false },
);
