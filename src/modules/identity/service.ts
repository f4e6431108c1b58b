// Identity: sign-up, login (password, then TOTP when enrolled or required), sessions and token
// families, password changes, MFA enrolment and invitation acceptance. Every authentication event
// is audited; failures feed the lockout.
import { randomBytes } from 'node:crypto';
import type { Config } from '../../config.ts';
import { hashPassword, needsRehash, verifyPassword } from '../../platform/crypto/passwords.ts';
import type { SecretBox } from '../../platform/crypto/secret-box.ts';
import { digestToken, randomToken } from '../../platform/crypto/tokens.ts';
import { newTotpSecret, totpUri, verifyTotp } from '../../platform/crypto/totp.ts';
import { isUuid, newId } from '../../platform/db/ids.ts';
import type { Db, Sql } from '../../platform/db/transaction.ts';
import { AppError, invalidField, notFound } from '../../platform/errors.ts';
import type { CallContext, Principal, RequestMeta } from '../../platform/http/request-context.ts';
import type { AuditActor, AuditService } from '../audit/service.ts';
import type { LoginOrganization, TenancyService } from '../tenancy/service.ts';
import type { LoginLockout } from './lockout.ts';
import { assertPasswordAcceptable } from './password-policy.ts';
import type { LoginResultType, SessionInfoType } from './schemas.ts';
import type { SigningKeyRing } from './signing-keys.ts';
import * as store from './store.ts';

const MFA_TOKEN_TTL = 300;
const RECOVERY_CODE_COUNT = 10;

export type SessionMode = 'token' | 'cookie';

/** What a login hands back: the JSON body, plus the cookie to set for browser sessions. */
export interface LoginOutcome {
  body: LoginResultType;
  cookie: { token: string; csrfToken: string; maxAgeSeconds: number } | null;
}

interface OrgHint {
  organization?: string; // id or subdomain, from the body
  headerOrgId?: string | null;
  hostSubdomain?: string | null;
}

const userActor = (u: { id: string; email: string }): AuditActor => ({
  type: 'user',
  id: u.id,
  label: u.email,
});

function userSummary(u: {
  id: string;
  email: string;
  name: string;
  locale?: string | null;
  is_super_admin: boolean;
  mfa_enabled: boolean;
}) {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    locale: u.locale ?? null,
    isSuperAdmin: u.is_super_admin,
    mfaEnabled: u.mfa_enabled,
  };
}

function newRecoveryCodes(): string[] {
  // 10 characters of base32 (50 bits) in two groups: easy to type, useless to guess under lockout.
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const bytes = randomBytes(10);
    const chars = [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

const normaliseRecoveryCode = (code: string) => code.trim().toLowerCase().replace(/\s+/g, '');

export class IdentityService {
  private readonly db: Db;
  private readonly config: Config;
  private readonly audit: AuditService;
  private readonly tenancy: TenancyService;
  private readonly keys: SigningKeyRing;
  private readonly box: SecretBox;
  private readonly lockout: LoginLockout;

  constructor(deps: {
    db: Db;
    config: Config;
    audit: AuditService;
    tenancy: TenancyService;
    keys: SigningKeyRing;
    box: SecretBox;
    lockout: LoginLockout;
  }) {
    this.db = deps.db;
    this.config = deps.config;
    this.audit = deps.audit;
    this.tenancy = deps.tenancy;
    this.keys = deps.keys;
    this.box = deps.box;
    this.lockout = deps.lockout;
  }

  // ---- sign-up ---------------------------------------------------------------------------------

  async register(
    body: {
      email: string;
      password: string;
      name: string;
      organization: { name: string; subdomain: string };
      locale?: string;
    },
    meta: RequestMeta,
  ) {
    if (!this.config.registrationEnabled)
      throw new AppError(
        'registration-closed',
        'sign-up is disabled on this installation; ask an administrator for an invitation',
      );
    assertPasswordAcceptable(body.password, this.config.passwordMinLength, [body.email, body.name]);
    await this.tenancy.assertSubdomainFree(body.organization.subdomain);
    if (await store.loginLookup(this.db.pool, body.email)) {
      throw new AppError(
        'conflict',
        'an account with this e-mail already exists; sign in and create the organization from there',
        {
          errors: [{ field: 'email', in: 'body', rule: 'unique', message: 'is already registered' }],
        },
      );
    }
    const passwordHash = await hashPassword(body.password);
    const userId = newId();
    const orgId = newId();
    return this.db.transaction({ orgId, userId }, async (tx) => {
      const user = await store.insertUser(tx, {
        id: userId,
        email: body.email,
        name: body.name,
        passwordHash,
        locale: body.locale ?? null,
      });
      const actor = userActor(user);
      await this.audit.record(tx, {
        orgId,
        actor,
        action: 'user.register',
        resourceType: 'user',
        resourceId: user.id,
        metadata: { email: user.email },
        meta,
      });
      const org = await this.tenancy.createOrganization(tx, {
        orgId,
        name: body.organization.name,
        subdomain: body.organization.subdomain,
        adminUserId: user.id,
        actor,
        meta,
      });
      return {
        user: userSummary(user),
        organization: { id: org.id, name: org.name, subdomain: org.subdomain },
      };
    });
  }

  // ---- login -----------------------------------------------------------------------------------

  async login(
    body: { email: string; password: string; organization?: string; session?: SessionMode },
    hint: OrgHint,
    meta: RequestMeta,
  ): Promise<LoginOutcome> {
    await this.lockout.assertNotLocked(body.email, meta.ip);
    const user = await store.loginLookup(this.db.pool, body.email);
    const ok = await verifyPassword(user?.password_hash ?? null, body.password);
    if (!user || !ok) {
      const lockedFor = await this.lockout.recordFailure(body.email, meta.ip);
      await this.audit.recordAlone(
        {
          orgId: user
            ? await this.tenancy.auditOrganizationFor(
                user.id,
                await this.resolveOrgHint({ ...hint, organization: body.organization }).catch(() => null),
              )
            : null,
          actor: user ? userActor(user) : { type: 'anonymous', id: null, label: body.email.slice(0, 254) },
          action: 'auth.login',
          outcome: 'failure',
          resourceType: 'user',
          resourceId: user?.id,
          metadata: {
            reason: user ? 'wrong_password' : 'unknown_email',
            email: body.email.slice(0, 254),
            ...(lockedFor ? { lockedForSeconds: lockedFor } : {}),
          },
          meta,
        },
        user?.id ?? null,
      );
      throw new AppError('invalid-credentials', 'the e-mail or the password is wrong');
    }
    if (user.status !== 'active') {
      await this.audit.recordAlone(
        {
          orgId: null,
          actor: userActor(user),
          action: 'auth.login',
          outcome: 'failure',
          resourceType: 'user',
          resourceId: user.id,
          metadata: { reason: 'disabled' },
          meta,
        },
        user.id,
      );
      throw new AppError('account-disabled', 'this account is disabled');
    }
    await this.lockout.recordSuccess(body.email);
    if (user.password_hash && needsRehash(user.password_hash)) {
      const fresh = await hashPassword(body.password);
      await this.db.transaction({ orgId: null, userId: user.id }, (tx) =>
        store.updateUser(tx, user.id, { password_hash: fresh }),
      );
    }
    const wanted = await this.resolveOrgHint({ ...hint, organization: body.organization });
    const org = await this.tenancy.loginOrganization({
      userId: user.id,
      isSuperAdmin: user.is_super_admin,
      wanted,
      ip: meta.ip,
    });
    const mode = body.session ?? 'token';
    if (user.mfa_enabled || org?.requireMfa) {
      const enrollment = !user.mfa_enabled;
      const mfaToken = await this.keys.sign(
        user.id,
        { purpose: enrollment ? 'enroll' : 'login', org: org?.id ?? null, mode },
        { audience: 'bul-mfa', ttlSeconds: MFA_TOKEN_TTL },
      );
      return { body: { status: 'mfa_required', mfaToken, enrollmentRequired: enrollment }, cookie: null };
    }
    return this.startSession(user.id, org, mode, ['pwd'], meta);
  }

  private async resolveOrgHint(hint: OrgHint): Promise<string | null> {
    const named = hint.organization ?? hint.headerOrgId ?? null;
    if (named) {
      if (isUuid(named)) return named.toLowerCase();
      const id = await this.tenancy.resolveSubdomain(named);
      if (!id) throw new AppError('not-found', `no organization "${named}"`);
      return id;
    }
    if (hint.hostSubdomain) return this.tenancy.resolveSubdomain(hint.hostSubdomain);
    return null;
  }

  /** Second step: a TOTP or recovery code, or (enrolment) the first code of the new secret. */
  async loginMfa(
    body: { mfaToken: string; code?: string; recoveryCode?: string },
    meta: RequestMeta,
  ): Promise<LoginOutcome> {
    const claims = await this.keys.verify(body.mfaToken, 'bul-mfa');
    if (!claims) throw new AppError('invalid-token', 'the MFA token is invalid or expired; sign in again');
    const userId = claims.sub;
    const orgId = typeof claims.org === 'string' ? claims.org : null;
    const mode: SessionMode = claims.mode === 'cookie' ? 'cookie' : 'token';
    if (!body.code && !body.recoveryCode)
      throw invalidField('code', 'required', 'send `code` (or `recoveryCode`)');
    const user = await this.db.transaction({ orgId: null, userId }, (tx) => store.getUser(tx, userId));
    if (!user || user.status !== 'active')
      throw new AppError('invalid-token', 'the account is not available');
    await this.lockout.assertNotLocked(user.email, meta.ip);

    const fail = async (reason: string) => {
      const lockedFor = await this.lockout.recordFailure(user.email, meta.ip);
      await this.audit.recordAlone(
        {
          orgId,
          actor: userActor(user),
          action: 'auth.mfa',
          outcome: 'failure',
          resourceType: 'user',
          resourceId: user.id,
          metadata: { reason, ...(lockedFor ? { lockedForSeconds: lockedFor } : {}) },
          meta,
        },
        user.id,
      );
      return new AppError('invalid-mfa-code', 'the code is wrong, expired or already used');
    };

    if (claims.purpose === 'enroll') {
      // An enrolment token from before the user enrolled must not replace the enrolled authenticator.
      if (user.mfa_enabled)
        throw new AppError('invalid-token', 'MFA is already enabled for this account; sign in again');
      if (!user.mfa_pending_secret_sealed || !body.code)
        throw invalidField(
          'code',
          'required',
          'call /auth/login/mfa/setup first, then send the code shown by the app',
        );
      const secret = this.box.open(user.mfa_pending_secret_sealed, `totp:${user.id}`).toString();
      const step = await verifyTotp({ secret, code: body.code });
      if (step === null) throw await fail('wrong_enrollment_code');
      const codes = await this.enableMfa(
        user.id,
        user.mfa_pending_secret_sealed,
        step,
        userActor(user),
        orgId,
        meta,
      );
      await this.lockout.recordSuccess(user.email);
      const org = await this.tenancy.loginOrganization({
        userId: user.id,
        isSuperAdmin: user.is_super_admin,
        wanted: orgId,
        ip: meta.ip,
      });
      const outcome = await this.startSession(user.id, org, mode, ['pwd', 'otp'], meta);
      outcome.body.recoveryCodes = codes;
      return outcome;
    }

    if (!user.mfa_enabled || !user.mfa_secret_sealed)
      throw new AppError('invalid-token', 'MFA is not enabled for this account; sign in again');
    if (body.code) {
      const code = body.code;
      // Check and spend the code under the user's row lock: concurrent requests with one code
      // queue here, and only the first finds its time step unused.
      const step = await this.db.transaction({ orgId: null, userId }, async (tx) => {
        const locked = await store.lockUser(tx, userId);
        if (!locked?.mfa_secret_sealed) return null;
        const secret = this.box.open(locked.mfa_secret_sealed, `totp:${userId}`).toString();
        const matched = await verifyTotp({ secret, code, afterTimeStep: locked.mfa_last_time_step });
        if (matched !== null) await store.updateUser(tx, userId, { mfa_last_time_step: matched });
        return matched;
      });
      if (step === null) throw await fail('wrong_code');
    } else {
      const spent = await this.db.transaction({ orgId: null, userId }, (tx) =>
        store.spendRecoveryCode(tx, userId, digestToken(normaliseRecoveryCode(body.recoveryCode!))),
      );
      if (!spent) throw await fail('wrong_recovery_code');
    }
    await this.lockout.recordSuccess(user.email);
    const org = await this.tenancy.loginOrganization({
      userId: user.id,
      isSuperAdmin: user.is_super_admin,
      wanted: orgId,
      ip: meta.ip,
    });
    return this.startSession(user.id, org, mode, body.code ? ['pwd', 'otp'] : ['pwd', 'recovery'], meta);
  }

  /** Enrolment during login (organization requires MFA): creates the pending secret. */
  async loginMfaSetup(body: { mfaToken: string }) {
    const claims = await this.keys.verify(body.mfaToken, 'bul-mfa');
    if (!claims || claims.purpose !== 'enroll')
      throw new AppError('invalid-token', 'the MFA token is invalid or expired; sign in again');
    return this.db.transaction({ orgId: null, userId: claims.sub }, async (tx) => {
      const user = await store.lockUser(tx, claims.sub);
      if (!user) throw new AppError('invalid-token', 'the account is not available');
      if (user.mfa_enabled)
        throw new AppError('invalid-token', 'MFA is already enabled for this account; sign in again');
      return this.newPendingSecret(tx, user);
    });
  }

  private async newPendingSecret(tx: Sql, user: store.UserRow) {
    const secret = newTotpSecret();
    await store.updateUser(tx, user.id, {
      mfa_pending_secret_sealed: this.box.seal(secret, `totp:${user.id}`),
    });
    return { secret, otpauthUrl: totpUri({ secret, issuer: this.config.mfaIssuer, account: user.email }) };
  }

  private async enableMfa(
    userId: string,
    sealedSecret: string,
    step: number,
    actor: AuditActor,
    orgId: string | null,
    meta: RequestMeta,
  ): Promise<string[]> {
    const codes = newRecoveryCodes();
    await this.db.transaction({ orgId: orgId, userId }, async (tx) => {
      await store.updateUser(tx, userId, {
        mfa_enabled: true,
        mfa_secret_sealed: sealedSecret,
        mfa_pending_secret_sealed: null,
        mfa_last_time_step: step,
      });
      await store.replaceRecoveryCodes(
        tx,
        userId,
        codes.map((c) => ({ id: newId(), hash: digestToken(normaliseRecoveryCode(c)) })),
      );
      await this.audit.record(tx, {
        orgId,
        actor,
        action: 'auth.mfa_enable',
        resourceType: 'user',
        resourceId: userId,
        meta,
      });
    });
    return codes;
  }

  /** Creates the session (cookie or token family) and its first tokens; records the login. */
  private async startSession(
    userId: string,
    org: LoginOrganization | null,
    mode: SessionMode,
    amr: string[],
    meta: RequestMeta,
  ): Promise<LoginOutcome> {
    const orgId = org?.id ?? null;
    const sessionId = newId();
    const refreshToken = mode === 'token' ? randomToken('rt') : null;
    const cookieToken = mode === 'cookie' ? randomToken('ses') : null;
    const csrfToken = mode === 'cookie' ? randomToken('csrf', 24) : null;
    const ttl = mode === 'cookie' ? this.config.sessionTtl : this.config.refreshTokenTtl;
    const expiresAt = new Date(Date.now() + ttl * 1000);
    const user = await this.db.transaction({ orgId: orgId, userId }, async (tx) => {
      const u = await store.createLoginSession(
        tx,
        {
          id: sessionId,
          user_id: userId,
          org_id: orgId,
          kind: mode,
          cookie_hash: cookieToken ? digestToken(cookieToken) : null,
          csrf_hash: csrfToken ? digestToken(csrfToken) : null,
          mfa_verified: amr.length > 1,
          ip: meta.ip,
          user_agent: meta.userAgent,
          expires_at: expiresAt,
        },
        refreshToken ? { id: newId(), tokenHash: digestToken(refreshToken) } : null,
      );
      await this.audit.record(tx, {
        orgId,
        actor: userActor(u),
        action: 'auth.login',
        resourceType: 'session',
        resourceId: sessionId,
        metadata: { method: amr.join('+'), session: mode },
        meta,
      });
      return u;
    });
    const body: LoginResultType = {
      status: 'authenticated',
      sessionId,
      user: userSummary(user),
      organization: org ? { id: org.id, name: org.name, subdomain: org.subdomain } : null,
    };
    if (mode === 'token') {
      body.tokenType = 'Bearer';
      body.accessToken = await this.accessToken(userId, sessionId, orgId, amr);
      body.expiresIn = this.config.accessTokenTtl;
      body.refreshToken = refreshToken!;
      return { body, cookie: null };
    }
    body.csrfToken = csrfToken!;
    return { body, cookie: { token: cookieToken!, csrfToken: csrfToken!, maxAgeSeconds: ttl } };
  }

  private accessToken(
    userId: string,
    sessionId: string,
    orgId: string | null,
    amr: string[],
  ): Promise<string> {
    return this.keys.sign(
      userId,
      { sid: sessionId, jti: newId(), amr, ...(orgId ? { org: orgId } : {}) },
      { audience: 'bul-api', ttlSeconds: this.config.accessTokenTtl },
    );
  }

  // ---- refresh, logout, switching organization ------------------------------------------------

  async refresh(refreshToken: string, meta: RequestMeta): Promise<LoginResultType> {
    const hash = digestToken(refreshToken);
    const owner = await store.refreshTokenOwner(this.db.pool, hash);
    if (!owner) throw new AppError('invalid-token', 'unknown refresh token');
    const next = randomToken('rt');
    const result = await this.db.transaction({ orgId: owner.org_id, userId: owner.user_id }, async (tx) => {
      const session = await store.lockSession(tx, owner.session_id);
      if (!session || session.revoked_at || session.expires_at.getTime() <= Date.now())
        return { kind: 'ended' as const };
      const user = await store.getUser(tx, owner.user_id);
      const spent = await store.spendRefreshToken(tx, hash);
      if (!spent || !user) {
        // A spent token came back: it was stolen or replayed. End the whole family.
        await store.revokeSession(tx, session.id, 'refresh token reuse');
        await this.audit.record(tx, {
          orgId: session.org_id,
          actor: user ? userActor(user) : { type: 'anonymous', id: null, label: null },
          action: 'auth.token_reuse',
          outcome: 'failure',
          resourceType: 'session',
          resourceId: session.id,
          metadata: { reason: 'a refresh token was used twice; the session was revoked' },
          meta,
        });
        return { kind: 'reused' as const };
      }
      if (user.status !== 'active') return { kind: 'ended' as const };
      await store.insertRefreshToken(tx, {
        id: newId(),
        sessionId: session.id,
        userId: user.id,
        tokenHash: digestToken(next),
        parentId: spent.id,
        expiresAt: session.expires_at,
      });
      await store.touchSession(tx, session.id);
      await this.audit.record(tx, {
        orgId: session.org_id,
        actor: userActor(user),
        action: 'auth.token_refresh',
        resourceType: 'session',
        resourceId: session.id,
        meta,
      });
      return { kind: 'ok' as const, session, user };
    });
    if (result.kind === 'reused')
      throw new AppError(
        'invalid-token',
        'this refresh token was already used; the session has been revoked for safety',
      );
    if (result.kind === 'ended') throw new AppError('invalid-token', 'the session has ended; sign in again');
    const amr = result.session.mfa_verified ? ['pwd', 'otp'] : ['pwd'];
    return {
      status: 'authenticated',
      tokenType: 'Bearer',
      accessToken: await this.accessToken(result.user.id, result.session.id, result.session.org_id, amr),
      expiresIn: this.config.accessTokenTtl,
      refreshToken: next,
      sessionId: result.session.id,
      user: userSummary(result.user),
    };
  }

  async logout(ctx: CallContext): Promise<void> {
    const p = ctx.principal;
    if (!p.sessionId)
      throw new AppError(
        'conflict',
        'API keys do not log out; revoke the key with DELETE /api/v1/api-keys/{id}',
      );
    await this.db.transaction({ orgId: p.org?.id ?? null, userId: p.userId }, async (tx) => {
      await store.revokeSession(tx, p.sessionId!, 'logout');
      await this.audit.record(tx, {
        orgId: p.org?.id ?? null,
        actor: userActor({ id: p.userId, email: p.email }),
        action: 'auth.logout',
        resourceType: 'session',
        resourceId: p.sessionId!,
        meta: ctx.meta,
      });
    });
  }

  async switchOrganization(ctx: CallContext, orgId: string): Promise<LoginResultType> {
    const p = ctx.principal;
    if (!p.sessionId) throw new AppError('conflict', 'an API key belongs to one organization');
    const target = await this.tenancy.loginOrganization({
      userId: p.userId,
      isSuperAdmin: p.isSuperAdmin,
      wanted: orgId,
      ip: ctx.meta.ip,
    });
    if (target?.requireMfa && !p.mfaEnabled)
      throw new AppError(
        'mfa-enrollment-required',
        'that organization requires MFA; enrol first (POST /api/v1/auth/mfa/setup)',
      );
    await this.db.transaction({ orgId, userId: p.userId }, async (tx) => {
      await store.setSessionOrg(tx, p.sessionId!, orgId);
      await this.audit.record(tx, {
        orgId,
        actor: userActor({ id: p.userId, email: p.email }),
        action: 'auth.switch_organization',
        resourceType: 'session',
        resourceId: p.sessionId!,
        meta: ctx.meta,
      });
    });
    const organization = target ? { id: target.id, name: target.name, subdomain: target.subdomain } : null;
    if (p.kind === 'session') return { status: 'authenticated', sessionId: p.sessionId, organization };
    return {
      status: 'authenticated',
      tokenType: 'Bearer',
      accessToken: await this.accessToken(
        p.userId,
        p.sessionId,
        orgId,
        p.mfaEnabled ? ['pwd', 'otp'] : ['pwd'],
      ),
      expiresIn: this.config.accessTokenTtl,
      sessionId: p.sessionId,
      organization,
    };
  }

  // ---- password and sessions of the signed-in user ------------------------------------------

  async changePassword(
    ctx: CallContext,
    body: { currentPassword: string; newPassword: string },
  ): Promise<void> {
    const p = ctx.principal;
    await this.lockout.assertNotLocked(p.email, ctx.meta.ip);
    const user = await this.db.transaction({ orgId: null, userId: p.userId }, (tx) =>
      store.getUser(tx, p.userId),
    );
    if (!user || !(await verifyPassword(user.password_hash, body.currentPassword))) {
      await this.lockout.recordFailure(p.email, ctx.meta.ip);
      throw new AppError('invalid-credentials', 'the current password is wrong', {
        errors: [
          { field: 'currentPassword', in: 'body', rule: 'matches', message: 'is not your current password' },
        ],
      });
    }
    assertPasswordAcceptable(
      body.newPassword,
      this.config.passwordMinLength,
      [user.email, user.name],
      'newPassword',
    );
    const hash = await hashPassword(body.newPassword);
    await this.db.transaction({ orgId: p.org?.id ?? null, userId: p.userId }, async (tx) => {
      await store.updateUser(tx, p.userId, { password_hash: hash, password_changed_at: new Date() });
      const revoked = await store.revokeOtherSessions(tx, p.userId, p.sessionId, 'password changed');
      await this.audit.record(tx, {
        orgId: p.org?.id ?? null,
        actor: userActor(user),
        action: 'auth.password_change',
        resourceType: 'user',
        resourceId: p.userId,
        metadata: { otherSessionsRevoked: revoked },
        meta: ctx.meta,
      });
    });
  }

  async listSessions(ctx: CallContext): Promise<SessionInfoType[]> {
    const p = ctx.principal;
    const rows = await this.db.transaction({ orgId: null, userId: p.userId }, (tx) =>
      store.listSessions(tx, p.userId),
    );
    const idleLimit = Date.now() - this.config.sessionIdleTimeout * 1000;
    return rows
      .filter((r) => r.kind === 'token' || r.last_seen_at.getTime() > idleLimit)
      .map((r) => ({
        id: r.id,
        kind: r.kind,
        current: r.id === p.sessionId,
        organizationId: r.org_id,
        ip: r.ip,
        userAgent: r.user_agent,
        createdAt: r.created_at.toISOString(),
        lastSeenAt: r.last_seen_at.toISOString(),
        expiresAt: r.expires_at.toISOString(),
      }));
  }

  async revokeSession(ctx: CallContext, sessionId: string): Promise<void> {
    const p = ctx.principal;
    await this.db.transaction({ orgId: p.org?.id ?? null, userId: p.userId }, async (tx) => {
      const revoked = await store.revokeSession(tx, sessionId, 'revoked by user');
      if (!revoked) throw notFound('session');
      await this.audit.record(tx, {
        orgId: p.org?.id ?? null,
        actor: userActor({ id: p.userId, email: p.email }),
        action: 'auth.session_revoke',
        resourceType: 'session',
        resourceId: sessionId,
        meta: ctx.meta,
      });
    });
  }

  async revokeOtherSessions(ctx: CallContext): Promise<number> {
    const p = ctx.principal;
    return this.db.transaction({ orgId: p.org?.id ?? null, userId: p.userId }, async (tx) => {
      const n = await store.revokeOtherSessions(tx, p.userId, p.sessionId, 'revoked by user');
      await this.audit.record(tx, {
        orgId: p.org?.id ?? null,
        actor: userActor({ id: p.userId, email: p.email }),
        action: 'auth.session_revoke_others',
        resourceType: 'user',
        resourceId: p.userId,
        metadata: { revoked: n },
        meta: ctx.meta,
      });
      return n;
    });
  }

  // ---- MFA management of the signed-in user ---------------------------------------------------

  async mfaSetup(ctx: CallContext) {
    const p = ctx.principal;
    return this.db.transaction({ orgId: null, userId: p.userId }, async (tx) => {
      const user = await store.lockUser(tx, p.userId);
      if (!user) throw notFound('user');
      if (user.mfa_enabled)
        throw new AppError('conflict', 'MFA is already enabled; disable it first to enrol a new device');
      return this.newPendingSecret(tx, user);
    });
  }

  async mfaEnable(ctx: CallContext, code: string): Promise<string[]> {
    const p = ctx.principal;
    const user = await this.db.transaction({ orgId: null, userId: p.userId }, (tx) =>
      store.getUser(tx, p.userId),
    );
    if (!user) throw notFound('user');
    if (user.mfa_enabled) throw new AppError('conflict', 'MFA is already enabled');
    if (!user.mfa_pending_secret_sealed)
      throw new AppError('conflict', 'call POST /api/v1/auth/mfa/setup first');
    const secret = this.box.open(user.mfa_pending_secret_sealed, `totp:${user.id}`).toString();
    const step = await verifyTotp({ secret, code });
    if (step === null) {
      await this.lockout.recordFailure(user.email, ctx.meta.ip);
      throw new AppError(
        'invalid-mfa-code',
        'the code does not match; check the device clock and try the current code',
      );
    }
    return this.enableMfa(
      user.id,
      user.mfa_pending_secret_sealed,
      step,
      userActor(user),
      p.org?.id ?? null,
      ctx.meta,
    );
  }

  /** Proves possession of the second factor with a TOTP or a recovery code (spent if used). */
  private async assertSecondFactor(
    tx: Sql,
    user: store.UserRow,
    code: string | undefined,
    recoveryCode: string | undefined,
    meta: RequestMeta,
  ): Promise<void> {
    if (!user.mfa_enabled || !user.mfa_secret_sealed) throw new AppError('conflict', 'MFA is not enabled');
    let ok = false;
    if (code) {
      const step = await verifyTotp({
        secret: this.box.open(user.mfa_secret_sealed, `totp:${user.id}`).toString(),
        code,
        afterTimeStep: user.mfa_last_time_step,
      });
      if (step !== null) {
        await store.updateUser(tx, user.id, { mfa_last_time_step: step });
        ok = true;
      }
    } else if (recoveryCode) {
      ok = await store.spendRecoveryCode(tx, user.id, digestToken(normaliseRecoveryCode(recoveryCode)));
    } else {
      throw invalidField('code', 'required', 'send `code` (or `recoveryCode`)');
    }
    if (!ok) {
      await this.lockout.recordFailure(user.email, meta.ip);
      throw new AppError('invalid-mfa-code', 'the code is wrong, expired or already used');
    }
  }

  async mfaDisable(
    ctx: CallContext,
    body: { password: string; code?: string; recoveryCode?: string },
  ): Promise<void> {
    const p = ctx.principal;
    await this.lockout.assertNotLocked(p.email, ctx.meta.ip);
    const orgs = await this.tenancy.myOrganizations(p);
    const requiring = orgs.filter((o) => o.requireMfa).map((o) => o.name);
    if (requiring.length > 0)
      throw new AppError('conflict', `MFA is required by ${requiring.join(', ')}; it cannot be turned off`);
    await this.db.transaction({ orgId: p.org?.id ?? null, userId: p.userId }, async (tx) => {
      const user = await store.lockUser(tx, p.userId);
      if (!user) throw notFound('user');
      if (!(await verifyPassword(user.password_hash, body.password))) {
        await this.lockout.recordFailure(user.email, ctx.meta.ip);
        throw new AppError('invalid-credentials', 'the password is wrong');
      }
      await this.assertSecondFactor(tx, user, body.code, body.recoveryCode, ctx.meta);
      await store.updateUser(tx, user.id, {
        mfa_enabled: false,
        mfa_secret_sealed: null,
        mfa_pending_secret_sealed: null,
        mfa_last_time_step: null,
      });
      await store.deleteRecoveryCodes(tx, user.id);
      await this.audit.record(tx, {
        orgId: p.org?.id ?? null,
        actor: userActor(user),
        action: 'auth.mfa_disable',
        resourceType: 'user',
        resourceId: user.id,
        meta: ctx.meta,
      });
    });
  }

  async regenerateRecoveryCodes(ctx: CallContext, code: string): Promise<string[]> {
    const p = ctx.principal;
    await this.lockout.assertNotLocked(p.email, ctx.meta.ip);
    const codes = newRecoveryCodes();
    await this.db.transaction({ orgId: p.org?.id ?? null, userId: p.userId }, async (tx) => {
      const user = await store.lockUser(tx, p.userId);
      if (!user) throw notFound('user');
      await this.assertSecondFactor(tx, user, code, undefined, ctx.meta);
      await store.replaceRecoveryCodes(
        tx,
        user.id,
        codes.map((c) => ({ id: newId(), hash: digestToken(normaliseRecoveryCode(c)) })),
      );
      await this.audit.record(tx, {
        orgId: p.org?.id ?? null,
        actor: userActor(user),
        action: 'auth.mfa_recovery_codes',
        resourceType: 'user',
        resourceId: user.id,
        meta: ctx.meta,
      });
    });
    return codes;
  }

  // ---- invitations -----------------------------------------------------------------------------

  /**
   * Accepts an invitation: an existing account proves itself with its password; a new address
   * gets an account with the name and password given.
   */
  async acceptInvitation(body: { token: string; name?: string; password: string }, meta: RequestMeta) {
    const inv = await this.tenancy.openInvitation(body.token);
    const existing = await store.loginLookup(this.db.pool, inv.email);
    let userId: string;
    let passwordHash: string | null = null;
    if (existing) {
      await this.lockout.assertNotLocked(inv.email, meta.ip);
      if (!(await verifyPassword(existing.password_hash, body.password))) {
        await this.lockout.recordFailure(inv.email, meta.ip);
        throw new AppError(
          'invalid-credentials',
          `an account exists for ${inv.email}; give its password to join`,
        );
      }
      userId = existing.id;
    } else {
      if (!body.name) throw invalidField('name', 'required', 'a new account needs a name');
      assertPasswordAcceptable(body.password, this.config.passwordMinLength, [inv.email, body.name]);
      passwordHash = await hashPassword(body.password);
      userId = newId();
    }
    const membershipId = await this.db.transaction({ orgId: inv.orgId, userId }, async (tx) => {
      if (passwordHash) {
        const user = await store.insertUser(tx, {
          id: userId,
          email: inv.email,
          name: body.name!,
          passwordHash,
        });
        await this.audit.record(tx, {
          orgId: inv.orgId,
          actor: userActor(user),
          action: 'user.register',
          resourceType: 'user',
          resourceId: user.id,
          metadata: { email: user.email, via: 'invitation' },
          meta,
        });
      }
      return this.tenancy.acceptInvitation(tx, {
        orgId: inv.orgId,
        invitationId: inv.id,
        userId,
        email: inv.email,
        actor: userActor({ id: userId, email: inv.email }),
        meta,
      });
    });
    return { organizationId: inv.orgId, userId, membershipId, newAccount: passwordHash !== null };
  }

  // ---- who am I --------------------------------------------------------------------------------

  me(p: Principal) {
    return {
      user: {
        id: p.userId,
        email: p.email,
        name: p.name,
        locale: p.locale,
        isSuperAdmin: p.isSuperAdmin,
        mfaEnabled: p.mfaEnabled,
      },
      authMethod: p.kind,
      sessionId: p.sessionId,
      apiKeyId: p.apiKeyId,
      organization: p.org
        ? {
            id: p.org.id,
            name: p.org.name,
            subdomain: p.org.subdomain,
            planId: p.org.planId,
            requireMfa: p.org.requireMfa,
          }
        : null,
      role: p.membership
        ? { id: p.membership.roleId, key: p.membership.roleKey, name: p.membership.roleName }
        : null,
      permissions: [...p.permissions].sort(),
    };
  }
}
