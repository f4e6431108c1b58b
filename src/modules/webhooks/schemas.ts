// The webhooks API's schemas (validation, types and OpenAPI).
import { type Static, Type } from 'typebox';
import { Nullable, ResourceFields, StringEnum, Timestamp, Uuid } from '../../platform/http/common-schemas.ts';
import { PageQuery } from '../../platform/http/pagination.ts';

/**
 * The domain events an endpoint may subscribe to (`<resource>.<verb>`, the shared names of issue
 * 15). When the events catalogue (src/platform/events) lands, this list is its names.
 */
export const WEBHOOK_EVENT_TYPES = [
  ...['client', 'project', 'task', 'milestone', 'contract', 'invoice', 'deal'].flatMap((r) =>
    ['created', 'updated', 'deleted'].map((v) => `${r}.${v}`),
  ),
  'project.status_changed',
  'task.status_changed',
  'task.assigned',
  'comment.added',
  'member.invited',
  'member.joined',
  'member.removed',
  'role.changed',
  'security.login_failed',
  'security.locked_out',
  'security.mfa_changed',
  'webhook.endpoint_disabled',
] as const;

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
