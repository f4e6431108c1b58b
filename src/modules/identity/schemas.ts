// Contracts of the identity routes: validation, types and OpenAPI from one definition each.
import { type Static, Type } from 'typebox';
import { Email, Name, Nullable, StringEnum, Timestamp, Uuid } from '../../platform/http/common-schemas.ts';
import { PageQuery } from '../../platform/http/pagination.ts';
import { PASSWORD_MAX_LENGTH } from './password-policy.ts';

const Password = Type.String({
  minLength: 1,
  maxLength: PASSWORD_MAX_LENGTH,
  description: 'At least 12 characters; not a commonly breached password.',
});
const Subdomain = Type.String({
  minLength: 1,
  maxLength: 63,
  pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$',
  description: 'Lower-case letters, digits and inner hyphens; unique across the installation.',
});
const PersonName = Name(200);
const OtpCode = Type.String({
  pattern: '^[0-9]{6}$',
  description: 'Six-digit code from the authenticator app.',
});
const RecoveryCode = Type.String({
  minLength: 8,
  maxLength: 32,
  description: 'One of the one-time recovery codes.',
});
const SessionMode = StringEnum(['token', 'cookie'] as const, {
  description:
    '`token` (default): JWT access token plus rotating refresh token. `cookie`: a server-side browser session in an HttpOnly cookie, with a CSRF token for writes.',
});

export const RegisterBody = Type.Object(
  {
    email: Email,
    password: Password,
    name: PersonName,
    organization: Type.Object({ name: Name(200), subdomain: Subdomain }, { additionalProperties: false }),
    locale: Type.Optional(StringEnum(['en', 'es', 'pt-BR'] as const)),
  },
  {
    additionalProperties: false,
    examples: [
      {
        email: 'ada@example.com',
        password: 'correct horse battery staple',
        name: 'Ada Lovelace',
        organization: { name: 'Analytical Engines Ltd', subdomain: 'engines' },
      },
    ],
  },
);

export const UserSummary = Type.Object({
  id: Uuid(),
  email: Type.String(),
  name: Type.String(),
  locale: Nullable(Type.String()),
  isSuperAdmin: Type.Boolean(),
  mfaEnabled: Type.Boolean(),
});

export const OrganizationSummary = Type.Object({
  id: Uuid(),
  name: Type.String(),
  subdomain: Type.String(),
});

export const RegisterResult = Type.Object({ user: UserSummary, organization: OrganizationSummary });

export const LoginBody = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
    organization: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 63,
        description:
          'Organization id or subdomain to sign in to (default: the X-Organization-ID header, the host subdomain, or the first membership).',
      }),
    ),
    session: Type.Optional(SessionMode),
  },
  {
    additionalProperties: false,
    examples: [{ email: 'ada@example.com', password: 'correct horse battery staple', session: 'token' }],
  },
);

export const LoginResult = Type.Object({
  status: StringEnum(['authenticated', 'mfa_required'] as const),
  mfaToken: Type.Optional(
    Type.String({
      description: 'When `mfa_required`: send it with a code to /auth/login/mfa (valid 5 minutes).',
    }),
  ),
  enrollmentRequired: Type.Optional(
    Type.Boolean({
      description:
        'When `mfa_required`: the organization requires MFA and the user has none yet; call /auth/login/mfa/setup first.',
    }),
  ),
  tokenType: Type.Optional(Type.Literal('Bearer')),
  accessToken: Type.Optional(Type.String()),
  expiresIn: Type.Optional(Type.Integer({ description: 'Access-token lifetime in seconds.' })),
  refreshToken: Type.Optional(
    Type.String({
      description:
        'One use only: each refresh returns the next. Reusing a spent one revokes the whole session.',
    }),
  ),
  csrfToken: Type.Optional(
    Type.String({ description: 'Cookie sessions: send as X-CSRF-Token on every write.' }),
  ),
  sessionId: Type.Optional(Uuid()),
  user: Type.Optional(UserSummary),
  organization: Type.Optional(Nullable(OrganizationSummary)),
  recoveryCodes: Type.Optional(
    Type.Array(Type.String(), {
      description: 'Only right after MFA enrolment at login: store them now, they are not shown again.',
    }),
  ),
});
export type LoginResultType = Static<typeof LoginResult>;

export const MfaLoginBody = Type.Object(
  {
    mfaToken: Type.String({ minLength: 1, maxLength: 4000 }),
    code: Type.Optional(OtpCode),
    recoveryCode: Type.Optional(RecoveryCode),
  },
  { additionalProperties: false },
);
export const MfaTokenBody = Type.Object(
  { mfaToken: Type.String({ minLength: 1, maxLength: 4000 }) },
  { additionalProperties: false },
);

export const RefreshBody = Type.Object(
  { refreshToken: Type.String({ minLength: 1, maxLength: 500 }) },
  { additionalProperties: false },
);

export const MeResult = Type.Object({
  user: UserSummary,
  authMethod: StringEnum(['jwt', 'session', 'api_key'] as const),
  sessionId: Nullable(Uuid()),
  apiKeyId: Nullable(Uuid()),
  organization: Nullable(
    Type.Object({
      id: Uuid(),
      name: Type.String(),
      subdomain: Type.String(),
      planId: Type.String(),
      requireMfa: Type.Boolean(),
    }),
  ),
  role: Nullable(Type.Object({ id: Uuid(), key: Nullable(Type.String()), name: Type.String() })),
  permissions: Type.Array(Type.String()),
});

export const SwitchOrgBody = Type.Object({ organizationId: Uuid() }, { additionalProperties: false });

export const ChangePasswordBody = Type.Object(
  { currentPassword: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }), newPassword: Password },
  { additionalProperties: false },
);

export const SessionInfo = Type.Object({
  id: Uuid(),
  kind: StringEnum(['cookie', 'token'] as const),
  current: Type.Boolean(),
  organizationId: Nullable(Uuid()),
  ip: Nullable(Type.String()),
  userAgent: Nullable(Type.String()),
  createdAt: Timestamp(),
  lastSeenAt: Timestamp(),
  expiresAt: Timestamp(),
});
export type SessionInfoType = Static<typeof SessionInfo>;

export const RevokedCount = Type.Object({ revoked: Type.Integer() });

export const MfaSetupResult = Type.Object({
  secret: Type.String({ description: 'Base32 secret, for manual entry.' }),
  otpauthUrl: Type.String({ description: 'otpauth:// URI to show as a QR code.' }),
});
export const MfaCodeBody = Type.Object({ code: OtpCode }, { additionalProperties: false });
export const MfaDisableBody = Type.Object(
  {
    password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
    code: Type.Optional(OtpCode),
    recoveryCode: Type.Optional(RecoveryCode),
  },
  { additionalProperties: false },
);
export const RecoveryCodesResult = Type.Object({
  recoveryCodes: Type.Array(Type.String(), { description: 'Shown once; each works one time.' }),
});

export const ApiKey = Type.Object({
  id: Uuid(),
  name: Type.String(),
  prefix: Type.String({ description: 'First characters of the key, to recognise it.' }),
  userId: Uuid('The member the key acts as; its permissions are the scopes that member still holds.'),
  scopes: Type.Array(Type.String()),
  expiresAt: Nullable(Timestamp()),
  lastUsedAt: Nullable(Timestamp()),
  lastUsedIp: Nullable(Type.String()),
  revokedAt: Nullable(Timestamp()),
  createdAt: Timestamp(),
  updatedAt: Timestamp(),
  version: Type.Integer(),
});
export type ApiKeyDto = Static<typeof ApiKey>;

export const CreatedApiKey = Type.Intersect([
  ApiKey,
  Type.Object({ key: Type.String({ description: 'The secret. Shown only in this response.' }) }),
]);

export const CreateApiKeyBody = Type.Object(
  {
    name: Name(100),
    scopes: Type.Array(Type.String({ maxLength: 64 }), {
      minItems: 1,
      maxItems: 100,
      uniqueItems: true,
      description: 'Permissions (`resource:action`) the key may use; each must be one the creator holds.',
    }),
    expiresAt: Type.Optional(Nullable(Timestamp('Optional expiry, in the future.'))),
  },
  { additionalProperties: false },
);

export const ApiKeyListQuery = Type.Object(
  { mine: Type.Optional(Type.Boolean({ description: 'Only keys I created.' })), ...PageQuery },
  { additionalProperties: false },
);

export const AcceptInvitationBody = Type.Object(
  {
    token: Type.String({ minLength: 10, maxLength: 200 }),
    name: Type.Optional(PersonName),
    password: Password,
  },
  { additionalProperties: false },
);
export const AcceptInvitationResult = Type.Object({
  organizationId: Uuid(),
  userId: Uuid(),
  membershipId: Uuid(),
  newAccount: Type.Boolean(),
});

export const Jwks = Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown())) });
