// The notification rules API's schemas (validation, types and OpenAPI): which events notify whom,
// on which channels, at which priority.
import { type Static, Type } from 'typebox';
import { EVENT_TYPES, type EventType } from '../../platform/events/catalogue.ts';
import { Name, Nullable, ResourceFields, StringEnum, Uuid } from '../../platform/http/common-schemas.ts';
import { ORG_PERMISSIONS } from '../../platform/http/permissions.ts';
import { Channels, Priority } from './schemas.ts';

/** Event types a rule may name: every catalogued one but the inbox's own announcement. */
export const RULE_EVENT_TYPES: readonly EventType[] = EVENT_TYPES.filter((t) => t !== 'notification.created');

const ContextKind = StringEnum(
  ['assignee', 'watchers', 'project_owner', 'subject_user', 'client_contacts', 'event_recipients'] as const,
  {
    description:
      "Who the event is about: the task's `assignee` and `watchers`, the project's `project_owner`, the member a role or security event concerns (`subject_user`), the client's contacts with messaging consent (`client_contacts`), or whom the event itself names (`event_recipients`: an alert's rule's recipients, on the channels it names among the rule's).",
  },
);

export const RecipientSpec = Type.Union([
  Type.Object({ kind: ContextKind }, { additionalProperties: false }),
  Type.Object(
    { kind: Type.Literal('role'), roleId: Uuid('Every active member with this role.') },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('department'),
      departmentId: Uuid('Every active member of this department and the departments under it.'),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('permission'),
      permission: StringEnum(ORG_PERMISSIONS, { description: 'Every active member holding it.' }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('users'),
      userIds: Type.Array(Uuid(), { minItems: 1, maxItems: 100, uniqueItems: true }),
    },
    { additionalProperties: false },
  ),
]);

const Recipients = Type.Array(RecipientSpec, {
  minItems: 1,
  maxItems: 20,
  description: 'Whom the rule notifies (the union of these; each member once).',
});
const RuleEventType = StringEnum(RULE_EVENT_TYPES, { description: 'The domain event that fires the rule.' });
const NotifyActor = Type.Boolean({
  description: 'Whether the member who caused the event is notified too (default false).',
});

export const NotificationRule = Type.Object({
  ...ResourceFields,
  name: Type.String(),
  eventType: Type.String(),
  recipients: Type.Array(RecipientSpec),
  channels: Type.Array(Type.String()),
  priority: Type.String(),
  notifyActor: Type.Boolean(),
  enabled: Type.Boolean(),
  builtinKey: Nullable(
    Type.String({
      description:
        'The built-in rule this is (installed for every organization): it can be changed or disabled, not deleted. Null for the organization’s own rules.',
    }),
  ),
});
export type NotificationRuleDto = Static<typeof NotificationRule>;

export const NotificationRuleList = Type.Object({ items: Type.Array(NotificationRule) });

export const CreateRuleBody = Type.Object(
  {
    name: Name(200),
    eventType: RuleEventType,
    recipients: Recipients,
    channels: Channels,
    priority: Type.Optional(Priority),
    notifyActor: Type.Optional(NotifyActor),
    enabled: Type.Optional(Type.Boolean({ description: 'Default true.' })),
  },
  { additionalProperties: false },
);

export const UpdateRuleBody = Type.Object(
  {
    name: Type.Optional(Name(200)),
    eventType: Type.Optional(RuleEventType),
    recipients: Type.Optional(Recipients),
    channels: Type.Optional(Channels),
    priority: Type.Optional(Priority),
    notifyActor: Type.Optional(NotifyActor),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
