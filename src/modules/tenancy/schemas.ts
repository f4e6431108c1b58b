import { type Static, Type } from 'typebox';
import {
  Email,
  Name,
  Nullable,
  ResourceFields,
  StringEnum,
  Timestamp,
  Uuid,
} from '../../platform/http/common-schemas.ts';
import { PageQuery } from '../../platform/http/pagination.ts';

export const Organization = Type.Object({
  ...ResourceFields,
  name: Type.String(),
  subdomain: Type.String(),
  planId: Type.String(),
  status: StringEnum(['active', 'suspended'] as const),
  requireMfa: Type.Boolean({
    description: 'Members must use TOTP MFA; those without it are made to enrol at their next login.',
  }),
  timezone: Type.String({ description: 'IANA time zone; days in reports are counted in it.' }),
  locale: Type.String(),
  currency: Type.String({
    description:
      'ISO 4217 book currency: budgets, expenses, contracts, invoices, payments and deals are written in it.',
  }),
});
export type OrganizationDto = Static<typeof Organization>;

export const UpdateOrganizationBody = Type.Object(
  {
    name: Type.Optional(Name(200)),
    requireMfa: Type.Optional(Type.Boolean()),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    locale: Type.Optional(StringEnum(['en', 'es', 'pt-BR'] as const)),
    currency: Type.Optional(
      Type.String({
        pattern: '^[A-Z]{3}$',
        description: 'New money is written in it; amounts already stored keep their currency.',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const MyOrganization = Type.Object({
  id: Uuid(),
  name: Type.String(),
  subdomain: Type.String(),
  status: StringEnum(['active', 'suspended'] as const),
  requireMfa: Type.Boolean(),
  membership: Type.Object({ id: Uuid(), status: StringEnum(['active', 'suspended'] as const) }),
  role: Type.Object({ id: Uuid(), key: Nullable(Type.String()), name: Type.String() }),
});
export type MyOrganizationDto = Static<typeof MyOrganization>;

export const CreateOrganizationBody = Type.Object(
  {
    name: Name(200),
    subdomain: Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$' }),
  },
  { additionalProperties: false },
);

export const Plan = Type.Object({
  id: Type.String(),
  name: Type.String(),
  maxUsers: Nullable(Type.Integer({ description: 'null: unlimited' })),
  maxApiRequestsPerMonth: Nullable(Type.Integer()),
  maxStorageBytes: Nullable(Type.Integer()),
  priceMinor: Type.Integer({ description: 'Monthly price in minor units of `currency`.' }),
  currency: Type.String(),
});
export type PlanDto = Static<typeof Plan>;

export const Usage = Type.Object({
  plan: Plan,
  period: Type.String({ description: 'First day (UTC) of the month the request counter covers.' }),
  usage: Type.Object({
    members: Type.Integer(),
    openInvitations: Type.Integer(),
    apiRequestsThisMonth: Type.Integer(),
    storageBytes: Type.Integer(),
  }),
});

export const ChangePlanBody = Type.Object(
  { planId: Type.String({ minLength: 1, maxLength: 50 }) },
  { additionalProperties: false },
);

export const Member = Type.Object({
  ...ResourceFields,
  userId: Uuid(),
  email: Type.String(),
  name: Type.String(),
  mfaEnabled: Type.Boolean(),
  role: Type.Object({ id: Uuid(), key: Nullable(Type.String()), name: Type.String() }),
  departmentId: Nullable(Uuid()),
  status: StringEnum(['active', 'suspended'] as const),
});
export type MemberDto = Static<typeof Member>;

export const MemberListQuery = Type.Object(
  {
    role_id: Type.Optional(Uuid()),
    department_id: Type.Optional(Uuid()),
    status: Type.Optional(StringEnum(['active', 'suspended'] as const)),
    q: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: 'Part of the name or e-mail.' }),
    ),
    user_id: Type.Optional(
      Type.Array(Uuid(), {
        maxItems: 200,
        description: 'Only the members who are these users (repeat the parameter), e.g. to name assignees.',
      }),
    ),
    ...PageQuery,
  },
  { additionalProperties: false },
);

export const UpdateMemberBody = Type.Object(
  {
    roleId: Type.Optional(Uuid()),
    departmentId: Type.Optional(Nullable(Uuid())),
    status: Type.Optional(StringEnum(['active', 'suspended'] as const)),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const Invitation = Type.Object({
  ...ResourceFields,
  email: Type.String(),
  role: Type.Object({ id: Uuid(), name: Type.String() }),
  departmentId: Nullable(Uuid()),
  invitedBy: Nullable(Uuid()),
  status: StringEnum(['open', 'accepted', 'revoked', 'expired'] as const),
  expiresAt: Timestamp(),
  acceptedAt: Nullable(Timestamp()),
});
export type InvitationDto = Static<typeof Invitation>;

export const CreatedInvitation = Type.Intersect([
  Invitation,
  Type.Object({
    token: Type.String({
      description:
        'Shown only here. Give it to the invitee, who accepts with POST /api/v1/invitations/accept.',
    }),
  }),
]);

export const CreateInvitationBody = Type.Object(
  { email: Email, roleId: Uuid(), departmentId: Type.Optional(Nullable(Uuid())) },
  { additionalProperties: false },
);

export const InvitationListQuery = Type.Object(
  { status: Type.Optional(StringEnum(['open', 'accepted', 'revoked', 'expired'] as const)), ...PageQuery },
  { additionalProperties: false },
);

export const Department = Type.Object({
  ...ResourceFields,
  parentId: Nullable(Uuid()),
  name: Type.String(),
  description: Type.String(),
  depth: Type.Integer({ description: '0 for top-level departments.' }),
  path: Type.Array(Uuid(), { description: 'Ancestor ids, from the top.' }),
  members: Type.Integer(),
});
export type DepartmentDto = Static<typeof Department>;

export const CreateDepartmentBody = Type.Object(
  {
    name: Name(200),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    parentId: Type.Optional(Nullable(Uuid())),
  },
  { additionalProperties: false },
);

export const UpdateDepartmentBody = Type.Object(
  {
    name: Type.Optional(Name(200)),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    parentId: Type.Optional(Nullable(Uuid())),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const IpRule = Type.Object({
  ...ResourceFields,
  cidr: Type.String({ description: 'Normalised network, e.g. 203.0.113.0/24 or 2001:db8::/32.' }),
  action: StringEnum(['allow', 'deny'] as const),
  note: Type.String(),
});
export type IpRuleDto = Static<typeof IpRule>;

export const CreateIpRuleBody = Type.Object(
  {
    cidr: Type.String({ minLength: 2, maxLength: 64, description: 'IPv4 or IPv6 address or CIDR.' }),
    action: StringEnum(['allow', 'deny'] as const, {
      description:
        '`deny` refuses matching addresses. Once any `allow` rule exists, only matching addresses get in.',
    }),
    note: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

export const PlatformOrganization = Type.Object({
  id: Uuid(),
  name: Type.String(),
  subdomain: Type.String(),
  planId: Type.String(),
  status: StringEnum(['active', 'suspended'] as const),
  members: Type.Integer(),
  createdAt: Timestamp(),
});

export const PlatformOrganizationListQuery = Type.Object(
  {
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'Part of the name or subdomain (case-insensitive): only the organizations that match.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const UpdatePlatformOrganizationBody = Type.Object(
  {
    status: Type.Optional(StringEnum(['active', 'suspended'] as const)),
    planId: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
