// The notifications API's schemas (validation, types and OpenAPI): sending, the delivery log and
// the inbox. Channels, templates, rules and preferences have their own *-schemas.ts.
import { Type } from 'typebox';
import { Nullable, StringEnum, Timestamp, Uuid } from '../../platform/http/common-schemas.ts';
import { PageQuery } from '../../platform/http/pagination.ts';
import { DELIVERY_CHANNELS, PRIORITIES } from './channels/provider.ts';

export const Channel = StringEnum(DELIVERY_CHANNELS, {
  description:
    "`in_app`: the recipient's inbox in BUL (live over /ws). The others go through the organization's providers of that kind (e-mail also through the platform's SMTP_* relay when the organization has none).",
});
export const Priority = StringEnum(PRIORITIES, {
  description:
    'Delivery lane: critical and high never wait behind a broadcast; critical also ignores quiet hours.',
});
export const Channels = Type.Array(Channel, { minItems: 1, maxItems: 9, uniqueItems: true });

export const STATUSES = [
  'queued',
  'sending',
  'sent',
  'delivered',
  'read',
  'failed',
  'skipped',
  'dead',
] as const;
export const Status = StringEnum(STATUSES, {
  description:
    '`queued` (waiting, maybe held by quiet hours or a retry), `sending`, `sent` (the provider accepted it), `delivered`, `read`, `failed` (refused for good), `skipped` (not sent: see skipReason), `dead` (retries exhausted: replay it).',
});

export const WhatsappTemplate = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9_]{1,512}$', description: "The approved template's name." }),
    language: Type.String({
      minLength: 2,
      maxLength: 15,
      description: 'Its language code (en, es, pt_BR…).',
    }),
    parameters: Type.Array(Type.String({ maxLength: 1000 }), {
      maxItems: 20,
      description: 'Body parameters in order; each may use template variables.',
    }),
  },
  { additionalProperties: false },
);

const Message = Type.Object(
  {
    subject: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
    body: Type.String({
      minLength: 1,
      maxLength: 20_000,
      description:
        'Liquid template text (`{{ recipient.name }}`, `{{ org.name }}`…), checked when sent: an error names its line and column.',
    }),
    whatsappTemplate: Type.Optional(Nullable(WhatsappTemplate)),
  },
  { additionalProperties: false },
);

const TemplateRef = Type.Object(
  {
    eventType: Type.String({
      minLength: 1,
      maxLength: 100,
      description: "The event type whose templates (the organization's, else the built-in ones) render it.",
    }),
    variables: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'What the templates read as `payload.*`.' }),
    ),
  },
  { additionalProperties: false },
);

const Content = {
  message: Type.Optional(Message),
  template: Type.Optional(TemplateRef),
  priority: Type.Optional(Priority),
  data: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), {
      description: 'Structured data for machine receivers (webhook `data`, push `data`).',
    }),
  ),
};

export const SendBody = Type.Object(
  {
    to: Type.Object(
      {
        userIds: Type.Optional(Type.Array(Uuid(), { maxItems: 1000, description: 'Members.' })),
        contactIds: Type.Optional(
          Type.Array(Uuid(), {
            maxItems: 1000,
            description: 'Client contacts (e-mail, SMS, WhatsApp; only those with messaging consent).',
          }),
        ),
      },
      { additionalProperties: false },
    ),
    channels: Channels,
    ...Content,
  },
  { additionalProperties: false },
);

export const BroadcastBody = Type.Object(
  {
    audience: Type.Union([
      Type.Object({ kind: Type.Literal('organization') }, { additionalProperties: false }),
      Type.Object({ kind: Type.Literal('role'), roleId: Uuid() }, { additionalProperties: false }),
      Type.Object(
        { kind: Type.Literal('department'), departmentId: Uuid() },
        { additionalProperties: false },
      ),
    ]),
    channels: Channels,
    ...Content,
  },
  { additionalProperties: false },
);

const Counts = Type.Record(Type.String(), Type.Integer(), { description: 'Notifications per status.' });

export const NotificationAttempt = Type.Object({
  attempt: Type.Integer(),
  channelId: Nullable(Uuid('The provider (channel) called; null: the platform e-mail relay.')),
  provider: Type.String(),
  startedAt: Timestamp(),
  latencyMs: Type.Integer(),
  outcome: StringEnum(['sent', 'retry', 'provider_failed', 'rejected'] as const),
  statusCode: Nullable(Type.Integer({ description: 'HTTP status, or the SMTP reply code.' })),
  errorCode: Nullable(
    Type.String({ description: "The provider's error code (Twilio 21211, FCM UNREGISTERED…)." }),
  ),
  error: Nullable(Type.String()),
  providerMessageId: Nullable(Type.String()),
});

export const Notification = Type.Object({
  id: Uuid(),
  source: StringEnum(['rule', 'send', 'broadcast', 'test'] as const),
  batchId: Nullable(Uuid()),
  eventId: Nullable(Uuid()),
  eventType: Type.String(),
  ruleId: Nullable(Uuid()),
  recipientUserId: Nullable(Uuid()),
  recipientContactId: Nullable(Uuid()),
  recipientName: Nullable(Type.String()),
  address: Nullable(Type.String()),
  channel: Type.String(),
  priority: Type.String(),
  language: Type.String(),
  subject: Nullable(Type.String()),
  body: Type.String(),
  status: Status,
  skipReason: Nullable(
    Type.String({
      description:
        '`opted_out`, `no_address`, `no_consent`, `channel_not_configured`, `not_a_member`, `no_template`, `template_error`.',
    }),
  ),
  attemptCount: Type.Integer(),
  nextAttemptAt: Nullable(Timestamp()),
  heldUntil: Nullable(Timestamp('Quiet hours held it until then.')),
  providerMessageId: Nullable(Type.String()),
  lastError: Nullable(Type.String()),
  lastStatusCode: Nullable(Type.Integer()),
  createdAt: Timestamp(),
  sentAt: Nullable(Timestamp()),
  deliveredAt: Nullable(Timestamp()),
  readAt: Nullable(Timestamp()),
  failedAt: Nullable(Timestamp()),
  attempts: Type.Optional(Type.Array(NotificationAttempt)),
});

export const SendAccepted = Type.Object({
  batchId: Uuid('Follow it at GET /api/v1/notifications/batches/{id}.'),
  total: Type.Integer(),
  counts: Counts,
  notifications: Type.Array(Notification),
});

export const BatchSummary = Type.Object({ batchId: Uuid(), total: Type.Integer(), counts: Counts });

export const LogQuery = Type.Object(
  {
    ...PageQuery,
    status: Type.Optional(Status),
    channel: Type.Optional(Channel),
    eventType: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    userId: Type.Optional(Uuid('Notifications to this member.')),
    batchId: Type.Optional(Uuid()),
    from: Type.Optional(Timestamp('Created at or after.')),
    to: Type.Optional(Timestamp('Created before.')),
  },
  { additionalProperties: false },
);

export const InboxItem = Type.Object({
  id: Uuid(),
  eventType: Type.String(),
  priority: Type.String(),
  subject: Nullable(Type.String()),
  body: Type.String(),
  link: Nullable(Type.String({ description: 'Where in BUL the notification points.' })),
  createdAt: Timestamp(),
  readAt: Nullable(Timestamp()),
});

export const InboxQuery = Type.Object(
  { ...PageQuery, unread: Type.Optional(Type.Boolean({ description: 'Unread ones only.' })) },
  { additionalProperties: false },
);

export const MarkReadBody = Type.Object(
  {
    ids: Type.Optional(Type.Array(Uuid(), { minItems: 1, maxItems: 500 })),
    all: Type.Optional(Type.Literal(true, { description: 'Every unread notification of mine.' })),
  },
  { additionalProperties: false },
);

export const ReadResult = Type.Object({ marked: Type.Integer(), unread: Type.Integer() });
export const UnreadCount = Type.Object({ unread: Type.Integer() });

export const UnsubscribeQuery = Type.Object(
  { token: Type.String({ minLength: 10, maxLength: 4000 }) },
  { additionalProperties: false },
);
export const CallbackParams = Type.Object(
  { channelId: Type.String({ maxLength: 100 }) },
  { additionalProperties: false },
);
