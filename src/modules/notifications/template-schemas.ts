// The notification templates API's schemas (validation, types and OpenAPI): the organization's
// templates per event × channel × language with their immutable versions, publish and rollback,
// preview with sample data, and the variables each event's templates may use.
import { type Static, Type } from 'typebox';
import { Nullable, ResourceFields, StringEnum, Timestamp, Uuid } from '../../platform/http/common-schemas.ts';
import { LOCALES } from '../../platform/i18n/locale.ts';
import { Channel, WhatsappTemplate } from './schemas.ts';

export const TemplateLanguage = StringEnum(LOCALES, {
  description:
    "The recipients' language; a recipient whose language has no published template gets the organization's default language, then the built-in one.",
});

const EventTypeField = Type.String({
  minLength: 1,
  maxLength: 100,
  examples: ['task.assigned'],
  description:
    'A catalogued event type (GET /api/v1/events/catalogue) or one of the notification-only ones: task.due_soon, notification.test, message.custom.',
});

const Subject = Type.String({
  maxLength: 1000,
  description: 'Liquid; the e-mail subject, push title or chat heading (null for SMS and WhatsApp).',
});
const Body = Type.String({
  minLength: 1,
  maxLength: 20_000,
  description:
    'Liquid (`{{ recipient.name }}`, `{{ payload.assigneeId }}`… see GET /notifications/templates/variables). Variables are HTML-escaped in the e-mail HTML part.',
});

export const TemplateListQuery = Type.Object(
  { eventType: Type.Optional(EventTypeField) },
  { additionalProperties: false },
);

export const TemplateListItem = Type.Object({
  eventType: Type.String(),
  channel: Channel,
  language: TemplateLanguage,
  source: StringEnum(['organization', 'builtin'] as const, {
    description:
      "`organization`: the organization's own template (in force when it has a published version); `builtin`: BUL's template, in force since the organization has none for this event, channel and language.",
  }),
  templateId: Nullable(Uuid()),
  publishedVersion: Nullable(
    Type.Integer({ description: 'null: none published, the built-in one is sent.' }),
  ),
  latestVersion: Nullable(Type.Integer()),
});
export type TemplateListItemDto = Static<typeof TemplateListItem>;

export const TemplateList = Type.Object({ items: Type.Array(TemplateListItem) });

export const TemplateVersion = Type.Object({
  number: Type.Integer({ minimum: 1, description: 'Counts up from 1 per template; never changes.' }),
  subject: Nullable(Type.String()),
  body: Type.String(),
  whatsappTemplate: Nullable(WhatsappTemplate),
  note: Type.String(),
  createdBy: Nullable(Uuid('The member who saved it.')),
  createdAt: Timestamp(),
  published: Type.Boolean({ description: 'This is the version sent.' }),
});
export type TemplateVersionDto = Static<typeof TemplateVersion>;

export const NotificationTemplate = Type.Object({
  ...ResourceFields,
  eventType: Type.String(),
  channel: Channel,
  language: TemplateLanguage,
  publishedVersion: Nullable(
    Type.Integer({ description: 'The version sent; null: none, the built-in template is sent.' }),
  ),
  latestVersion: Type.Integer(),
});
export type NotificationTemplateDto = Static<typeof NotificationTemplate>;

export const NotificationTemplateWithVersions = Type.Intersect([
  NotificationTemplate,
  Type.Object({ versions: Type.Array(TemplateVersion, { description: 'Newest first.' }) }),
]);

export const SaveTemplateVersionBody = Type.Object(
  {
    eventType: EventTypeField,
    channel: Channel,
    language: TemplateLanguage,
    subject: Type.Optional(Nullable(Subject)),
    body: Body,
    whatsappTemplate: Type.Optional(Nullable(WhatsappTemplate)),
    note: Type.Optional(Type.String({ maxLength: 500, description: 'What changed, for the history.' })),
    publish: Type.Optional(
      Type.Boolean({ description: 'Publish the new version at once (default: save it unpublished).' }),
    ),
  },
  { additionalProperties: false },
);

export const SavedTemplateVersion = Type.Object({
  template: NotificationTemplate,
  version: TemplateVersion,
});

export const PublishTemplateBody = Type.Object(
  {
    version: Type.Integer({
      minimum: 1,
      description: 'The version number to send from now on; an older one rolls back.',
    }),
  },
  { additionalProperties: false },
);

export const PreviewTemplateBody = Type.Object(
  {
    eventType: EventTypeField,
    channel: Channel,
    language: TemplateLanguage,
    subject: Type.Optional(Nullable(Subject)),
    body: Body,
    whatsappTemplate: Type.Optional(Nullable(WhatsappTemplate)),
    variables: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description:
          "Values laid over the event's sample data (objects merge: `{ resource: { title: '…' } }` keeps the other sample fields).",
      }),
    ),
  },
  { additionalProperties: false },
);

export const TemplatePreview = Type.Object({
  subject: Nullable(Type.String()),
  text: Type.String({ description: 'The text body (SMS, push, chat, in-app; e-mail text part).' }),
  html: Nullable(Type.String({ description: 'The whole e-mail HTML (e-mail only).' })),
  whatsappTemplate: Nullable(WhatsappTemplate),
});

export const VariablesQuery = Type.Object({ eventType: EventTypeField }, { additionalProperties: false });

export const TemplateVariables = Type.Object({
  eventType: Type.String(),
  items: Type.Array(
    Type.Object({
      name: Type.String({ examples: ['payload.assigneeId'], description: 'What a template writes.' }),
      description: Type.String(),
      example: Type.String({ description: 'The sample value previews use (English).' }),
    }),
  ),
});

export const BuiltinTemplateQuery = Type.Object(
  { eventType: EventTypeField, channel: Channel, language: TemplateLanguage },
  { additionalProperties: false },
);

export const BuiltinTemplate = Type.Object({
  eventType: Type.String(),
  channel: Type.String(),
  language: Type.String({
    description: 'The language of the text answered (English when the one asked has none).',
  }),
  subject: Nullable(Type.String()),
  body: Type.String(),
  whatsappTemplate: Nullable(WhatsappTemplate),
});
