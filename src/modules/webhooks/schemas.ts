// The webhooks API's schemas (validation, types and OpenAPI).
import { type Static, Type } from 'typebox';
import { EVENT_TYPES, type EventType } from '../../platform/events/catalogue.ts';
import { Nullable, ResourceFields, StringEnum, Timestamp, Uuid } from '../../platform/http/common-schemas.ts';
import { PageQuery } from '../../platform/http/pagination.ts';

/**
 * Events an endpoint may not subscribe to. `webhook.endpoint_disabled` is a notice for the
 * organization's admins inside BUL (realtime, notifications): its payload holds the disabled
 * endpoint's URL, which often carries that receiver's credential (a token in its path or query)
 * and must not be sent on to another receiver; and without it the webhook engine never feeds on
 * its own events (docs/webhooks.md).
 */
export const UNSUBSCRIBABLE_EVENT_TYPES: ReadonlySet<EventType> = new Set([
  'webhook.endpoint_disabled',
  // A member's inbox: personal, and the notification's content is BUL's to deliver, not to forward.
  'notification.created',
]);

/** The domain events an endpoint may subscribe to: the catalogue's, but for those above. */
export const WEBHOOK_EVENT_TYPES: readonly EventType[] = EVENT_TYPES.filter(
  (type) => !UNSUBSCRIBABLE_EVENT_TYPES.has(type),
);

const EventTypes = Type.Array(StringEnum(WEBHOOK_EVENT_TYPES), {
  minItems: 1,
  maxItems: 50,
  uniqueItems: true,
  description: 'The event types sent to this endpoint.',
});

const Url = Type.String({
  minLength: 1,
  maxLength: 2000,
  examples: ['https://hooks.example.com/bul'],
  description:
    'http or https. Its host must resolve to public addresses only (not loopback, link-local or private) unless the installation sets WEBHOOK_ALLOW_PRIVATE.',
});

export const WebhookEndpoint = Type.Object({
  ...ResourceFields,
  url: Type.String(),
  description: Type.String(),
  events: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  disabledReason: Nullable(
    StringEnum(['manual', 'failing'] as const, {
      description: '`failing`: BUL disabled it after it failed continuously for days.',
    }),
  ),
  failingSince: Nullable(Timestamp('First failed attempt since the last successful one.')),
});
export type WebhookEndpointDto = Static<typeof WebhookEndpoint>;

export const CreatedWebhookEndpoint = Type.Intersect([
  WebhookEndpoint,
  Type.Object({
    secret: Type.String({
      description:
        'The signing secret (Standard Webhooks form, `whsec_` + base64). Shown only in this response.',
    }),
  }),
]);

export const WebhookSecret = Type.Object({
  secret: Type.String({ description: 'The new signing secret; shown only in this response.' }),
});

export const CreateWebhookEndpointBody = Type.Object(
  {
    url: Url,
    events: EventTypes,
    description: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

export const UpdateWebhookEndpointBody = Type.Object(
  {
    url: Type.Optional(Url),
    events: Type.Optional(EventTypes),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const WebhookListQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });

export const DeliveryStatus = StringEnum(['pending', 'succeeded', 'failed'] as const);

export const DeliveryListQuery = Type.Object(
  { status: Type.Optional(DeliveryStatus), ...PageQuery },
  { additionalProperties: false },
);

export const DeliveryAttempt = Type.Object({
  attempt: Type.Integer({ minimum: 1 }),
  startedAt: Timestamp(),
  statusCode: Nullable(Type.Integer()),
  latencyMs: Type.Integer(),
  responseExcerpt: Type.String({
    description: 'The start of the answer (64 KB at most are kept; lists show the first 4 KB).',
  }),
  responseTruncated: Type.Boolean(),
  errorClass: Nullable(
    Type.String({
      description:
        'http_status, redirect (never followed), timeout, connection_refused, connection_reset, dns, blocked_address, tls, network, endpoint_disabled.',
    }),
  ),
  nextAttemptAt: Nullable(Timestamp()),
});

export const WebhookDelivery = Type.Object({
  id: Uuid(),
  endpointId: Uuid(),
  eventId: Uuid('The domain event; also the `webhook-id` header of every attempt.'),
  eventType: Type.String(),
  status: DeliveryStatus,
  attemptCount: Type.Integer(),
  nextAttemptAt: Nullable(Timestamp()),
  lastStatusCode: Nullable(Type.Integer()),
  lastErrorClass: Nullable(Type.String()),
  deliveredAt: Nullable(Timestamp()),
  createdAt: Timestamp(),
  updatedAt: Timestamp(),
  attempts: Type.Array(DeliveryAttempt),
});
export type WebhookDeliveryDto = Static<typeof WebhookDelivery>;
export type DeliveryAttemptDto = Static<typeof DeliveryAttempt>;
