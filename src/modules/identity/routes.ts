// HTTP routes of identity: thin — parse, call the service, shape the answer.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { Config } from '../../config.ts';
import { IdParams, NoContent } from '../../platform/http/common-schemas.ts';
import { Page } from '../../platform/http/pagination.ts';
import { requires } from '../../platform/http/permissions.ts';
import { callContext, PUBLIC, requestMeta, SIGNED_IN } from '../../platform/http/request-context.ts';
import type { ApiKeyService } from './api-key-service.ts';
import { type Authenticator, CSRF_COOKIE, SESSION_COOKIE } from './authenticator.ts';
import {
  AcceptInvitationBody,
  AcceptInvitationResult,
  ApiKey,
  ApiKeyListQuery,
  ChangePasswordBody,
  CreateApiKeyBody,
  CreatedApiKey,
  Jwks,
  LoginBody,
  LoginResult,
  MeResult,
  MfaCodeBody,
  MfaDisableBody,
  MfaLoginBody,
  MfaSetupResult,
  MfaTokenBody,
  RecoveryCodesResult,
  RefreshBody,
  RegisterBody,
  RegisterResult,
  RevokedCount,
  SessionInfo,
  SwitchOrgBody,
} from './schemas.ts';
import type { IdentityService, LoginOutcome } from './service.ts';
import type { SigningKeyRing } from './signing-keys.ts';

interface Deps {
  identity: IdentityService;
  apiKeys: ApiKeyService;
  authenticator: Authenticator;
  config: Config;
}

const LOGIN_CLASS = { access: PUBLIC, rateLimitClass: 'login' as const };
const DURING_ENROLMENT = { authenticated: true as const, duringMfaEnrollment: true };

export const identityRoutes: FastifyPluginAsyncTypebox<Deps> = async (
  app,
  { identity, apiKeys, authenticator, config },
) => {
  const secure = config.publicUrl.startsWith('https:');

  function setSessionCookies(reply: FastifyReply, outcome: LoginOutcome): void {
    if (!outcome.cookie) return;
    const common = { path: '/', sameSite: 'lax' as const, secure, maxAge: outcome.cookie.maxAgeSeconds };
    reply.setCookie(SESSION_COOKIE, outcome.cookie.token, { ...common, httpOnly: true });
    // Readable by the web app, which echoes it in X-CSRF-Token; useless to another site.
    reply.setCookie(CSRF_COOKIE, outcome.cookie.csrfToken, { ...common, httpOnly: false });
  }

  function clearSessionCookies(reply: FastifyReply): void {
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    reply.clearCookie(CSRF_COOKIE, { path: '/' });
  }

  app.post(
    '/auth/register',
    {
      schema: {
        operationId: 'register',
        tags: ['auth'],
        summary: 'Sign up: create an account and an organization, with the new user as its admin',
        body: RegisterBody,
        response: { 201: RegisterResult },
      },
      config: { ...LOGIN_CLASS, problems: ['registration-closed', 'weak-password'] },
    },
    async (request, reply) =>
      reply.code(201).send(await identity.onboarding.register(request.body, requestMeta(request))),
  );

  app.post(
    '/auth/login',
    {
      schema: {
        operationId: 'login',
        tags: ['auth'],
        summary: 'Log in with e-mail and password',
        description:
          'Answers `status: authenticated` with tokens (or a session cookie when `session` is `cookie`), or `status: mfa_required` with an `mfaToken` for `/auth/login/mfa`. Failed attempts lock the account and the address progressively (429 `account-locked`).',
        body: LoginBody,
        response: { 200: LoginResult },
      },
      config: { ...LOGIN_CLASS, problems: ['invalid-credentials', 'account-locked', 'account-disabled'] },
    },
    async (request, reply) => {
      const outcome = await identity.login.login(
        request.body,
        {
          headerOrgId: (request.headers['x-organization-id'] as string | undefined) ?? null,
          hostSubdomain: authenticator.hostSubdomain(request),
        },
        requestMeta(request),
      );
      setSessionCookies(reply, outcome);
      return outcome.body;
    },
  );

  app.post(
    '/auth/login/mfa',
    {
      schema: {
        operationId: 'completeLoginWithMfa',
        tags: ['auth'],
        summary: 'Second login step: a TOTP code or a recovery code',
        description:
          'During enrolment (`enrollmentRequired`), the code of the newly added authenticator; the answer then includes the recovery codes.',
        body: MfaLoginBody,
        response: { 200: LoginResult },
      },
      config: { ...LOGIN_CLASS, problems: ['invalid-token', 'invalid-mfa-code', 'account-locked'] },
    },
    async (request, reply) => {
      const outcome = await identity.login.loginMfa(request.body, requestMeta(request));
      setSessionCookies(reply, outcome);
      return outcome.body;
    },
  );

  app.post(
    '/auth/login/mfa/setup',
    {
      schema: {
        operationId: 'enrolMfaAtLogin',
        tags: ['auth'],
        summary: 'During login: create the TOTP secret of an organization that requires MFA',
        body: MfaTokenBody,
        response: { 200: MfaSetupResult },
      },
      config: { ...LOGIN_CLASS, problems: ['invalid-token', 'invalid-mfa-code', 'account-locked'] },
    },
    async (request) => identity.login.loginMfaSetup(request.body),
  );

  app.post(
    '/auth/refresh',
    {
      schema: {
        operationId: 'refreshTokens',
        tags: ['auth'],
        summary: 'Exchange a refresh token for a new access token and the next refresh token',
        description:
          'Each refresh token works once. Presenting a spent one revokes the whole session (token family).',
        body: RefreshBody,
        response: { 200: LoginResult },
      },
      config: { ...LOGIN_CLASS, problems: ['invalid-token'] },
    },
    async (request) => identity.login.refresh(request.body.refreshToken, requestMeta(request)),
  );

  app.post(
    '/auth/logout',
    {
      schema: {
        operationId: 'logout',
        tags: ['auth'],
        summary: 'End the current session (its tokens stop working at once)',
        response: { 204: NoContent },
      },
      config: { access: DURING_ENROLMENT },
    },
    async (request, reply) => {
      await identity.account.logout(callContext(request));
      clearSessionCookies(reply);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/auth/me',
    {
      schema: {
        operationId: 'getCurrentUser',
        tags: ['auth'],
        summary: 'The caller: user, organization acted for, role and permissions',
        response: { 200: MeResult },
      },
      config: { access: DURING_ENROLMENT },
    },
    async (request) => identity.account.me(callContext(request).principal),
  );

  app.post(
    '/auth/switch-organization',
    {
      schema: {
        operationId: 'switchOrganization',
        tags: ['auth'],
        summary: 'Make another of my organizations the default of this session',
        description:
          'Token sessions get a new access token. Any request may instead name its organization with X-Organization-ID.',
        body: SwitchOrgBody,
        response: { 200: LoginResult },
      },
      config: { access: DURING_ENROLMENT },
    },
    async (request) => identity.account.switchOrganization(callContext(request), request.body.organizationId),
  );

  app.put(
    '/auth/password',
    {
      schema: {
        operationId: 'changePassword',
        tags: ['auth'],
        summary: 'Change my password (ends my other sessions)',
        body: ChangePasswordBody,
        response: { 204: NoContent },
      },
      config: {
        access: DURING_ENROLMENT,
        rateLimitClass: 'login',
        problems: ['invalid-credentials', 'weak-password', 'account-locked'],
      },
    },
    async (request, reply) => {
      await identity.account.changePassword(callContext(request), request.body);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/auth/sessions',
    {
      schema: {
        operationId: 'listSessions',
        tags: ['auth'],
        summary: 'My live sessions',
        response: { 200: Type.Object({ items: Type.Array(SessionInfo), nextCursor: Type.Null() }) },
      },
      config: { access: DURING_ENROLMENT },
    },
    async (request) => ({
      items: await identity.account.listSessions(callContext(request)),
      nextCursor: null,
    }),
  );

  app.delete(
    '/auth/sessions/:id',
    {
      schema: {
        operationId: 'revokeSession',
        tags: ['auth'],
        summary: 'Revoke one of my sessions',
        params: IdParams,
        response: { 204: NoContent },
      },
      config: { access: DURING_ENROLMENT },
    },
    async (request, reply) => {
      await identity.account.revokeSession(callContext(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/auth/sessions/revoke-others',
    {
      schema: {
        operationId: 'revokeOtherSessions',
        tags: ['auth'],
        summary: 'Revoke all my sessions except this one',
        response: { 200: RevokedCount },
      },
      config: { access: DURING_ENROLMENT },
    },
    async (request) => ({ revoked: await identity.account.revokeOtherSessions(callContext(request)) }),
  );

  app.post(
    '/auth/mfa/setup',
    {
      schema: {
        operationId: 'startMfaSetup',
        tags: ['mfa'],
        summary: 'Start TOTP enrolment: a new secret and its otpauth:// URI',
        response: { 200: MfaSetupResult },
      },
      config: { access: DURING_ENROLMENT },
    },
    async (request) => identity.mfa.setup(callContext(request)),
  );

  app.post(
    '/auth/mfa/enable',
    {
      schema: {
        operationId: 'enableMfa',
        tags: ['mfa'],
        summary: 'Finish enrolment with a code from the app; returns recovery codes once',
        body: MfaCodeBody,
        response: { 200: RecoveryCodesResult },
      },
      config: {
        access: DURING_ENROLMENT,
        rateLimitClass: 'login',
        problems: ['invalid-mfa-code', 'account-locked'],
      },
    },
    async (request) => ({
      recoveryCodes: await identity.mfa.enable(callContext(request), request.body.code),
    }),
  );

  app.post(
    '/auth/mfa/disable',
    {
      schema: {
        operationId: 'disableMfa',
        tags: ['mfa'],
        summary: 'Turn MFA off (password and a code; refused where an organization requires MFA)',
        body: MfaDisableBody,
        response: { 204: NoContent },
      },
      config: {
        access: SIGNED_IN,
        rateLimitClass: 'login',
        problems: ['invalid-credentials', 'invalid-mfa-code', 'account-locked'],
      },
    },
    async (request, reply) => {
      await identity.mfa.disable(callContext(request), request.body);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/auth/mfa/recovery-codes',
    {
      schema: {
        operationId: 'regenerateRecoveryCodes',
        tags: ['mfa'],
        summary: 'Replace my recovery codes (needs a current TOTP code)',
        body: MfaCodeBody,
        response: { 200: RecoveryCodesResult },
      },
      config: {
        access: SIGNED_IN,
        rateLimitClass: 'login',
        problems: ['invalid-mfa-code', 'account-locked'],
      },
    },
    async (request) => ({
      recoveryCodes: await identity.mfa.regenerateRecoveryCodes(callContext(request), request.body.code),
    }),
  );

  app.post(
    '/invitations/accept',
    {
      schema: {
        operationId: 'acceptInvitation',
        tags: ['members'],
        summary: 'Accept an invitation',
        description:
          'A new e-mail address gets an account with `name` and `password`; an existing account proves itself with its password.',
        body: AcceptInvitationBody,
        response: { 201: AcceptInvitationResult },
      },
      config: {
        ...LOGIN_CLASS,
        problems: ['invalid-token', 'invalid-credentials', 'weak-password', 'account-locked'],
      },
    },
    async (request, reply) =>
      reply.code(201).send(await identity.onboarding.acceptInvitation(request.body, requestMeta(request))),
  );

  app.get(
    '/api-keys',
    {
      schema: {
        tags: ['api-keys'],
        summary: 'API keys of the organization',
        querystring: ApiKeyListQuery,
        response: { 200: Page(ApiKey) },
      },
      config: { access: requires('api_keys:read') },
    },
    async (request) => apiKeys.list(callContext(request), request.query),
  );

  app.post(
    '/api-keys',
    {
      schema: {
        tags: ['api-keys'],
        summary: 'Create an API key (the secret is in this answer only)',
        description:
          'The key acts as its creator, limited to `scopes`. Use it as `Authorization: Bearer <key>`.',
        body: CreateApiKeyBody,
        response: { 201: CreatedApiKey },
      },
      config: { access: requires('api_keys:manage') },
    },
    async (request, reply) => reply.code(201).send(await apiKeys.create(callContext(request), request.body)),
  );

  app.delete(
    '/api-keys/:id',
    {
      schema: {
        operationId: 'revokeApiKey',
        tags: ['api-keys'],
        summary: 'Revoke an API key',
        params: IdParams,
        response: { 204: NoContent },
      },
      config: { access: requires('api_keys:manage') },
    },
    async (request, reply) => {
      await apiKeys.revoke(callContext(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
};

/** `/.well-known/jwks.json`: the public keys that verify BUL's access tokens. */
export const jwksRoute: FastifyPluginAsyncTypebox<{ keys: SigningKeyRing }> = async (app, { keys }) => {
  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        operationId: 'getSigningKeys',
        tags: ['auth'],
        summary: 'Public keys (JWKS) that verify access tokens',
        response: { 200: Jwks },
      },
      config: { access: PUBLIC },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return keys.jwks();
    },
  );
};
