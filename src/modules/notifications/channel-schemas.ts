// The notification channels API's schemas (validation, types and OpenAPI). A channel's `config`
// and `secrets` depend on its kind: the route takes any object and the service checks it against
// the kind's adapter (channels/*.ts configSchema and secretsSchema), naming `config.<field>` or
// `secrets.<field>` in the errors. Secrets are write-only: no answer ever holds them.
import { type Static, Type } from 'typebox';
import { Name, Nullable, ResourceFields, StringEnum } from '../../platform/http/common-schemas.ts';
import { PROVIDER_KINDS } from './channels/provider.ts';

/** Providers per kind: positions 1..9 (migration 0015). */
export const MAX_PROVIDERS_PER_KIND = 9;

export const ProviderKindSchema = StringEnum(PROVIDER_KINDS, {
  description:
    'email: an SMTP relay; sms: Twilio; push: Firebase Cloud Messaging (HTTP v1); webhook: a signed POST (Standard Webhooks); slack, teams, discord: their incoming webhooks; whatsapp: the WhatsApp Business Cloud API.',
});

const Position = Type.Integer({
  minimum: 1,
  maximum: MAX_PROVIDERS_PER_KIND,
  description:
    'Failover order among the providers of the same kind: 1 is tried first, the next when one fails. Others move down (or up) to make room; positions stay 1..n without gaps.',
});

const Config = Type.Record(Type.String(), Type.Unknown(), {
  description:
    "The provider's non-secret settings, checked against the kind's schema (email: host, port, secure, requireTLS, from {address, name}, replyTo, allowInsecureTls; sms: accountSid, from or messagingServiceSid, baseUrl; whatsapp: phoneNumberId, apiVersion, baseUrl; push: baseUrl, tokenUrl; webhook: url; discord: username; slack, teams: none). Base URLs must resolve to public addresses unless the installation sets WEBHOOK_ALLOW_PRIVATE.",
});

const Secrets = Type.Record(Type.String(), Type.String(), {
  description:
    "The provider's credentials, checked against the kind's schema (email: user, password; sms: authToken; whatsapp: accessToken, appSecret, verifyToken; push: serviceAccountJson; webhook: secret (whsec_…); slack, teams, discord: url, the incoming-webhook URL). Sealed with the master key, never answered: answers say only which fields are set.",
});

export const NotificationChannel = Type.Object({
  ...ResourceFields,
  kind: ProviderKindSchema,
  name: Type.String(),
  position: Type.Integer(),
  enabled: Type.Boolean(),
  config: Type.Record(Type.String(), Type.Unknown()),
  hasSecrets: Type.Boolean({
    description: 'Whether credentials are stored (their values are never answered).',
  }),
  secretFields: Type.Array(Type.String(), {
    description: 'The names of the credential fields that are set (e.g. ["user", "password"]).',
  }),
  callbackUrl: Nullable(
    Type.String({
      description:
        "sms, whatsapp: the URL to give the provider for delivery statuses and replies (Twilio's status callback is set by BUL on each message; WhatsApp's webhook is set in the Meta app with the channel's verify token). Null for the other kinds.",
    }),
  ),
});
export type NotificationChannelDto = Static<typeof NotificationChannel>;

export const CreateChannelBody = Type.Object(
  {
    kind: ProviderKindSchema,
    name: Name(200),
    config: Type.Optional(Config),
    secrets: Type.Optional(Secrets),
    enabled: Type.Optional(Type.Boolean({ default: true })),
    position: Type.Optional(Position),
  },
  { additionalProperties: false },
);
export type CreateChannelInput = Static<typeof CreateChannelBody>;

export const UpdateChannelBody = Type.Object(
  {
    name: Type.Optional(Name(200)),
    config: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: 'Replaces the whole settings object (checked against the kind’s schema).',
      }),
    ),
    secrets: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description:
          'Replaces every credential (checked against the kind’s schema). Absent: the stored ones are kept.',
      }),
    ),
    secretsPatch: Type.Optional(
      Type.Record(Type.String(), Nullable(Type.String()), {
        description:
          'Changes some credentials and keeps the others: a string sets that field, null removes it; the result is checked against the kind’s schema. Not together with `secrets`.',
      }),
    ),
    enabled: Type.Optional(Type.Boolean()),
    position: Type.Optional(Position),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateChannelInput = Static<typeof UpdateChannelBody>;

export const TestChannelBody = Type.Object(
  {
    to: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 4096,
        description:
          'Where to send the test: an e-mail address (email; default the caller’s), a phone number in E.164 (sms, whatsapp), an FCM registration token (push). None for webhook, slack, teams and discord: they post to their configured URL.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type TestChannelInput = Static<typeof TestChannelBody>;

export const ChannelTestResult = Type.Object({
  ok: Type.Boolean({ description: 'The provider accepted the message.' }),
  outcome: StringEnum(['sent', 'retry', 'provider_failed', 'rejected'] as const, {
    description:
      '`sent`; `retry` (a transient failure: timeout, 5xx, 429); `provider_failed` (the settings or credentials do not work); `rejected` (refused for good for this message or address).',
  }),
  statusCode: Nullable(Type.Integer({ description: 'HTTP status, or the SMTP reply code.' })),
  errorCode: Nullable(Type.String({ description: "The provider's error code (Twilio 21211, SMTP 550…)." })),
  error: Nullable(Type.String()),
  latencyMs: Type.Integer(),
  providerMessageId: Nullable(Type.String()),
  notificationId: Type.String({
    format: 'uuid',
    description: 'The test as a notification in the delivery log (source `test`), with its attempt.',
  }),
});
export type ChannelTestResultDto = Static<typeof ChannelTestResult>;
