// Contracts of clients, their contacts and status history.
import { type Static, Type } from 'typebox';
import { sortValues } from '../../platform/db/keyset-list.ts';
import {
  Email,
  Name,
  Nullable,
  ResourceFields,
  StringEnum,
  Tags,
  Timestamp,
  Uuid,
} from '../../platform/http/common-schemas.ts';
import { PageQuery } from '../../platform/http/pagination.ts';
import { CLIENT_STATUSES } from './transitions.ts';

const ClientStatus = StringEnum(CLIENT_STATUSES, {
  description: 'lead → active | churned; active → churned; churned → active (409 for other moves).',
});
const Phone = Type.String({ minLength: 3, maxLength: 40, pattern: '^[+0-9 ()./-]+$' });
const Website = Type.String({ format: 'uri', maxLength: 500 });

export const Client = Type.Object({
  ...ResourceFields,
  name: Type.String(),
  status: ClientStatus,
  ownerId: Nullable(Uuid('The member responsible for the client.')),
  email: Nullable(Type.String()),
  phone: Nullable(Type.String()),
  website: Nullable(Type.String()),
  notes: Type.String(),
  tags: Type.Array(Type.String()),
  leadAt: Nullable(Timestamp('When the client last became a lead.')),
  activeAt: Nullable(Timestamp('When the client last became active.')),
  churnedAt: Nullable(Timestamp('When the client last churned.')),
  archivedAt: Nullable(
    Timestamp(
      'When the client was archived (null: not archived). Archived clients keep their contracts, invoices, payments and feedback, and are left out of the client list unless `archived=true` is asked.',
    ),
  ),
});
export type ClientDto = Static<typeof Client>;

export const CreateClientBody = Type.Object(
  {
    name: Name(200),
    status: Type.Optional(ClientStatus),
    ownerId: Type.Optional(Nullable(Uuid())),
    email: Type.Optional(Nullable(Email)),
    phone: Type.Optional(Nullable(Phone)),
    website: Type.Optional(Nullable(Website)),
    notes: Type.Optional(Type.String({ maxLength: 20000 })),
    tags: Type.Optional(Tags),
  },
  { additionalProperties: false },
);
export type CreateClientInput = Static<typeof CreateClientBody>;

export const UpdateClientBody = Type.Object(
  {
    name: Type.Optional(Name(200)),
    status: Type.Optional(ClientStatus),
    ownerId: Type.Optional(Nullable(Uuid())),
    email: Type.Optional(Nullable(Email)),
    phone: Type.Optional(Nullable(Phone)),
    website: Type.Optional(Nullable(Website)),
    notes: Type.Optional(Type.String({ maxLength: 20000 })),
    tags: Type.Optional(Tags),
    archived: Type.Optional(
      Type.Boolean({
        description:
          'true archives the client (a lead or a churned client: an active one must churn first, 409), false brings it back. Archiving is how a client with financial history is put away: it cannot be deleted.',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateClientInput = Static<typeof UpdateClientBody>;

export const CLIENT_SORTS = ['createdAt', 'updatedAt', 'name'] as const;

export const ClientListQuery = Type.Object(
  {
    ...PageQuery,
    status: Type.Optional(ClientStatus),
    ownerId: Type.Optional(Uuid()),
    archived: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'false (default): clients that are not archived; true: only archived clients.',
      }),
    ),
    tag: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'Full-text search in name, e-mail and notes.',
      }),
    ),
    sort: Type.Optional(
      StringEnum(sortValues(CLIENT_SORTS), {
        default: '-createdAt',
        description: 'Prefix - for descending.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ClientListQueryType = Static<typeof ClientListQuery>;

export const ClientStatusChange = Type.Object({
  id: Uuid(),
  fromStatus: Nullable(ClientStatus),
  toStatus: ClientStatus,
  changedAt: Timestamp(),
  changedBy: Nullable(Uuid()),
});
export type ClientStatusChangeDto = Static<typeof ClientStatusChange>;

// ---- contacts --------------------------------------------------------------------------------

const WhatsApp = Type.String({
  pattern: '^\\+[1-9][0-9]{6,14}$',
  description: 'WhatsApp number in E.164 form, e.g. +5511987654321.',
});

export const Contact = Type.Object({
  ...ResourceFields,
  clientId: Uuid(),
  name: Type.String(),
  title: Type.String(),
  email: Nullable(Type.String()),
  phone: Nullable(Type.String()),
  whatsapp: Nullable(Type.String()),
  messagingConsent: Type.Boolean({
    description: 'Whether the contact agreed to be messaged (WhatsApp, SMS).',
  }),
  consentAt: Nullable(Timestamp('When consent was given.')),
  consentSource: Nullable(Type.String({ description: 'Where consent was given (form, call, e-mail...).' })),
});
export type ContactDto = Static<typeof Contact>;

const contactFields = {
  name: Name(200),
  title: Type.Optional(Type.String({ maxLength: 200 })),
  email: Type.Optional(Nullable(Email)),
  phone: Type.Optional(Nullable(Phone)),
  whatsapp: Type.Optional(Nullable(WhatsApp)),
  messagingConsent: Type.Optional(Type.Boolean()),
  consentAt: Type.Optional(Nullable(Timestamp('Defaults to now when consent is given.'))),
  consentSource: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 200 }))),
};

export const CreateContactBody = Type.Object(contactFields, { additionalProperties: false });
export type CreateContactInput = Static<typeof CreateContactBody>;

export const UpdateContactBody = Type.Object(
  { ...contactFields, name: Type.Optional(contactFields.name) },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateContactInput = Static<typeof UpdateContactBody>;

export const ClientContactParams = Type.Object(
  { id: Uuid(), contactId: Uuid() },
  { additionalProperties: false },
);
