import { type Static, Type } from 'typebox';
import { Nullable, StringEnum, Timestamp, Uuid } from '../../platform/http/common-schemas.ts';
import { PageQuery } from '../../platform/http/pagination.ts';

export const AuditEvent = Type.Object({
  id: Uuid(),
  seq: Type.Integer({ description: "Position in the organization's hash chain (1, 2, 3, ...)." }),
  createdAt: Timestamp(),
  actor: Type.Object({
    type: StringEnum(['user', 'api_key', 'system', 'anonymous'] as const),
    id: Nullable(Uuid()),
    label: Nullable(Type.String()),
  }),
  action: Type.String({ description: 'What happened, e.g. `auth.login`, `member.update`.' }),
  outcome: StringEnum(['success', 'failure'] as const),
  resourceType: Nullable(Type.String()),
  resourceId: Nullable(Type.String()),
  changes: Nullable(
    Type.Record(Type.String(), Type.Object({ before: Type.Unknown(), after: Type.Unknown() })),
  ),
  metadata: Nullable(Type.Record(Type.String(), Type.Unknown())),
  ip: Nullable(Type.String()),
  userAgent: Nullable(Type.String()),
  requestId: Nullable(Type.String()),
  prevHash: Type.String(),
  hash: Type.String(),
});
export type AuditEventDto = Static<typeof AuditEvent>;

export const AuditSearchQuery = Type.Object(
  {
    user_id: Type.Optional(Uuid('Only events by this actor.')),
    action: Type.Optional(
      Type.String({
        maxLength: 100,
        pattern: '^[a-z_.*]+$',
        description: 'An action, or a prefix ending in `*` (e.g. `auth.*`).',
      }),
    ),
    resource_type: Type.Optional(Type.String({ maxLength: 100 })),
    resource_id: Type.Optional(Type.String({ maxLength: 200 })),
    outcome: Type.Optional(StringEnum(['success', 'failure'] as const)),
    start_date: Type.Optional(
      Type.String({ format: 'date-time', description: 'Inclusive lower bound (RFC 3339).' }),
    ),
    end_date: Type.Optional(
      Type.String({ format: 'date-time', description: 'Exclusive upper bound (RFC 3339).' }),
    ),
    ...PageQuery,
  },
  { additionalProperties: false },
);
export type AuditSearchQueryType = Static<typeof AuditSearchQuery>;

/** The search filters (no paging) and the file format. */
export const AuditExportQuery = Type.Object(
  {
    ...Type.Omit(AuditSearchQuery, ['limit', 'cursor']).properties,
    // Optional with a default (filled in by validation): a required parameter cannot have one.
    format: Type.Optional(
      StringEnum(['csv', 'xlsx', 'json'] as const, { default: 'csv', description: 'File format.' }),
    ),
  },
  { additionalProperties: false },
);
export type AuditExportQueryType = Static<typeof AuditExportQuery>;

export const AuditIntegrity = Type.Object({
  ok: Type.Boolean(),
  checked: Type.Integer({ description: 'Events walked.' }),
  badSeq: Nullable(Type.Integer()),
  badEventId: Nullable(Uuid()),
  problem: Nullable(Type.String()),
});
