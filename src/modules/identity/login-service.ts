import { hashPassword, needsRehash, verifyPassword } from '../../platform/crypto/passwords.ts';
import { digestToken, randomToken } from '../../platform/crypto/tokens.ts';
import { isUuid, newId } from '../../platform/db/ids.ts';
import { AppError, invalidField } from '../../platform/errors.ts';
import type { EventInput } from '../../platform/events/catalogue.ts';
import type { RequestMeta } from '../../platform/http/request-context.ts';
import type { LoginOrganization } from '../tenancy/service.ts';
import { issueAccessToken } from './access-tokens.ts';
import type { IdentityDeps } from './deps.ts';
import { IDENTITY } from './messages.ts';
import type { MfaService } from './mfa-service.ts';
import type { LoginResultType } from './schemas.ts';
import * as store from './store.ts';
import { userActor, userSummary } from './user-summary.ts';

const MFA_TOKEN_TTL = 300;

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

/** The security events of a member's failed login or MFA step (and of the lockout it caused). */
function securityFailure(userId: string, reason: string, lockedFor: number | null | undefined): EventInput[] {
  const events: EventInput[] = [{ type: 'security.login_failed', payload: { id: userId, reason } }];
  if (lockedFor)
    events.push({ type: 'security.locked_out', payload: { id: userId, lockedForSeconds: lockedFor } });
  return events;
}

export class LoginService {
  private readonly deps: IdentityDeps;
  private readonly mfa: MfaService;

  constructor(deps: IdentityDeps & { mfa: MfaService }) {
    this.deps = deps;
    this.mfa = deps.mfa;
  }

  async login(
    body: { email: string; password: string; organization?: string; session?: SessionMode },
    hint: OrgHint,
    meta: RequestMeta,
  ): Promise<LoginOutcome> {
    await this.assertNotLocked(body.email, meta, async () => {
      const user = await store.loginLookup(this.deps.db.pool, body.email);
      if (!user) return null;
      const orgs = this.deps.tenancy.organizations;
      return { userId: user.id, orgId: await orgs.auditOrganizationFor(user.id, null, user.organizations) };
    });
    const user = await store.loginLookup(this.deps.db.pool, body.email);
    const ok = await verifyPassword(user?.password_hash ?? null, body.password);
    if (!user || !ok) {
      const lockedFor = await this.deps.lockout.recordFailure(body.email, meta.ip);
      const orgId = user
        ? await this.deps.tenancy.organizations.auditOrganizationFor(
            user.id,
            await this.resolveOrgHint({ ...hint, organization: body.organization }).catch(() => null),
            user.organizations,
          )
        : null;
      await this.deps.audit.recordAlone(
        {
          orgId,
          actor: user ? userActor(user) : { type: 'anonymous', id: null, label: body.email.slice(0, 254) },
          action: 'auth.login',
          outcome: 'failure',
          resourceType: 'user',
          resourceId: user?.id,
          // Domain events belong to an organization: a user with none (e.g. imported) emits none.
          events: user && orgId ? securityFailure(user.id, 'wrong_password', lockedFor) : [],
          metadata: {
            reason: user ? 'wrong_password' : 'unknown_email',
            email: body.email.slice(0, 254),
            ...(lockedFor ? { lockedForSeconds: lockedFor } : {}),
          },
          meta,
        },
        user?.id ?? null,
      );
      await this.deps.signals.loginFailed({
        orgId,
        userId: user?.id ?? null,
        email: body.email.slice(0, 254),
        ip: meta.ip,
        userAgent: meta.userAgent,
        reason: user ? 'wrong_password' : 'unknown_email',
        lockedForSeconds: lockedFor,
        at: new Date(),
      });
      throw new AppError('invalid-credentials', IDENTITY.wrongLogin());
    }
    if (user.status !== 'active') {
      await this.deps.audit.recordAlone(
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
      throw new AppError('account-disabled', IDENTITY.accountDisabled());
    }
    await this.deps.lockout.recordSuccess(body.email);
    if (user.password_hash && needsRehash(user.password_hash)) {
      const fresh = await hashPassword(body.password);
      await this.deps.db.transaction({ orgId: null, userId: user.id }, (tx) =>
        store.updateUser(tx, user.id, { password_hash: fresh }),
      );
    }
    const wanted = await this.resolveOrgHint({ ...hint, organization: body.organization });
    const org = await this.deps.tenancy.organizations.loginOrganization({
      userId: user.id,
      isSuperAdmin: user.is_super_admin,
      wanted,
      ip: meta.ip,
      memberships: user.organizations,
    });
    const mode = body.session ?? 'token';
    if (user.mfa_enabled || org?.requireMfa) {
      const enrollment = !user.mfa_enabled;
      const mfaToken = await this.deps.keys.sign(
        user.id,
        { purpose: enrollment ? 'enroll' : 'login', org: org?.id ?? null, mode },
        { audience: 'bul-mfa', ttlSeconds: MFA_TOKEN_TTL },
      );
      return { body: { status: 'mfa_required', mfaToken, enrollmentRequired: enrollment }, cookie: null };
    }
    return this.startSession(user, org, mode, ['pwd'], meta);
  }

  /**
   * Refuses (429) an attempt on a locked account or from a locked address, and reports it to threat
   * detection first: with the default lockout, attempts that get through are too few for a burst
   * (docs/security.md), so the refused ones must count. `account` finds whose account it is (one
   * indexed lookup, no password check); it runs only on the refused path.
   */
  private async assertNotLocked(
    email: string,
    meta: RequestMeta,
    account: () => Promise<{ userId: string; orgId: string | null } | null>,
  ): Promise<void> {
    try {
      await this.deps.lockout.assertNotLocked(email, meta.ip);
    } catch (err) {
      if (err instanceof AppError && err.code === 'account-locked') {
        const at = new Date();
        await this.deps.signals.loginRefused(async () => {
          const owner = await account();
          return {
            orgId: owner?.orgId ?? null,
            userId: owner?.userId ?? null,
            email: email.slice(0, 254),
            ip: meta.ip,
            userAgent: meta.userAgent,
            reason: 'locked',
            lockedForSeconds: 0,
            at,
          };
        });
      }
      throw err;
    }
  }

  private async resolveOrgHint(hint: OrgHint): Promise<string | null> {
    const named = hint.organization ?? hint.headerOrgId ?? null;
    if (named) {
      if (isUuid(named)) return named.toLowerCase();
      const id = await this.deps.tenancy.organizations.resolveSubdomain(named);
      if (!id) throw new AppError('not-found', IDENTITY.noOrganizationNamed({ name: named }));
      return id;
    }
    if (hint.hostSubdomain) return this.deps.tenancy.organizations.resolveSubdomain(hint.hostSubdomain);
    return null;
  }

  /** Second step: a TOTP or recovery code, or (enrolment) the first code of the new secret. */
  async loginMfa(
    body: { mfaToken: string; code?: string; recoveryCode?: string },
    meta: RequestMeta,
  ): Promise<LoginOutcome> {
    const claims = await this.deps.keys.verify(body.mfaToken, 'bul-mfa');
    if (!claims) throw new AppError('invalid-token', IDENTITY.mfaTokenInvalid());
    const userId = claims.sub;
    const orgId = typeof claims.org === 'string' ? claims.org : null;
    const mode: SessionMode = claims.mode === 'cookie' ? 'cookie' : 'token';
    if (!body.code && !body.recoveryCode) throw invalidField('code', 'required', IDENTITY.sendCode());
    const user = await this.deps.db.transaction({ orgId: null, userId }, (tx) => store.getUser(tx, userId));
    if (!user || user.status !== 'active') throw new AppError('invalid-token', IDENTITY.accountUnavailable());
    await this.assertNotLocked(user.email, meta, async () => ({ userId, orgId }));

    const fail = async (reason: string) => {
      const lockedFor = await this.deps.lockout.recordFailure(user.email, meta.ip);
      await this.deps.audit.recordAlone(
        {
          orgId,
          actor: userActor(user),
          action: 'auth.mfa',
          outcome: 'failure',
          resourceType: 'user',
          resourceId: user.id,
          events: orgId ? securityFailure(user.id, reason, lockedFor) : [],
          metadata: { reason, ...(lockedFor ? { lockedForSeconds: lockedFor } : {}) },
          meta,
        },
        user.id,
      );
      await this.deps.signals.loginFailed({
        orgId,
        userId: user.id,
        email: user.email,
        ip: meta.ip,
        userAgent: meta.userAgent,
        reason,
        lockedForSeconds: lockedFor,
        at: new Date(),
      });
      return new AppError('invalid-mfa-code', IDENTITY.wrongCode());
    };

    let recoveryCodes: string[] | null = null;
    if (claims.purpose === 'enroll') {
      // An enrolment token from before the user enrolled must not replace the enrolled authenticator.
      if (user.mfa_enabled) throw new AppError('invalid-token', IDENTITY.mfaAlreadyEnabledSignIn());
      if (!body.code) throw invalidField('code', 'required', IDENTITY.sendNewDeviceCode());
      recoveryCodes = await this.mfa.completeEnrollment(user, body.code, orgId, meta);
      if (recoveryCodes === null) throw await fail('wrong_enrollment_code');
    } else {
      if (!user.mfa_enabled || !user.mfa_secret_sealed)
        throw new AppError('invalid-token', IDENTITY.mfaNotEnabledSignIn());
      const accepted = body.code
        ? await this.mfa.spendLoginCode(userId, body.code)
        : await this.mfa.spendRecoveryCode(userId, body.recoveryCode!);
      if (!accepted) throw await fail(body.code ? 'wrong_code' : 'wrong_recovery_code');
    }
    await this.deps.lockout.recordSuccess(user.email);
    const org = await this.deps.tenancy.organizations.loginOrganization({
      userId: user.id,
      isSuperAdmin: user.is_super_admin,
      wanted: orgId,
      ip: meta.ip,
    });
    const amr = body.code ? ['pwd', 'otp'] : ['pwd', 'recovery'];
    // An enrolment just turned MFA on (the row read above predates it).
    const current = recoveryCodes ? { ...user, mfa_enabled: true } : user;
    const outcome = await this.startSession(current, org, mode, amr, meta);
    if (recoveryCodes) outcome.body.recoveryCodes = recoveryCodes;
    return outcome;
  }

  /** Enrolment during login (organization requires MFA): creates the pending secret. */
  async loginMfaSetup(body: { mfaToken: string }) {
    const claims = await this.deps.keys.verify(body.mfaToken, 'bul-mfa');
    if (!claims || claims.purpose !== 'enroll')
      throw new AppError('invalid-token', IDENTITY.mfaTokenInvalid());
    return this.mfa.startEnrollment(claims.sub);
  }

  /** Creates the session (cookie or token family) and its first tokens; records the login. */
  private async startSession(
    user: Parameters<typeof userSummary>[0],
    org: LoginOrganization | null,
    mode: SessionMode,
    amr: string[],
    meta: RequestMeta,
  ): Promise<LoginOutcome> {
    const userId = user.id;
    const orgId = org?.id ?? null;
    const sessionId = newId();
    const refreshToken = mode === 'token' ? randomToken('rt') : null;
    const cookieToken = mode === 'cookie' ? randomToken('ses') : null;
    const csrfToken = mode === 'cookie' ? randomToken('csrf', 24) : null;
    const ttl = mode === 'cookie' ? this.deps.config.sessionTtl : this.deps.config.refreshTokenTtl;
    const expiresAt = new Date(Date.now() + ttl * 1000);
    // One statement records the session and its audit event (see store.startLoginSession).
    await store.startLoginSession(
      this.deps.db.pool,
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
      user.email,
      refreshToken ? { id: newId(), tokenHash: digestToken(refreshToken) } : null,
      { id: newId(), metadata: { method: amr.join('+'), session: mode }, requestId: meta.requestId },
      newId(),
    );
    const body: LoginResultType = {
      status: 'authenticated',
      sessionId,
      user: userSummary(user),
      organization: org ? { id: org.id, name: org.name, subdomain: org.subdomain } : null,
    };
    if (mode === 'token') {
      body.tokenType = 'Bearer';
      body.accessToken = await issueAccessToken(this.deps.keys, this.deps.config.accessTokenTtl, {
        userId,
        sessionId,
        orgId,
        amr,
      });
      body.expiresIn = this.deps.config.accessTokenTtl;
      body.refreshToken = refreshToken!;
      return { body, cookie: null };
    }
    body.csrfToken = csrfToken!;
    return { body, cookie: { token: cookieToken!, csrfToken: csrfToken!, maxAgeSeconds: ttl } };
  }

  async refresh(refreshToken: string, meta: RequestMeta): Promise<LoginResultType> {
    const hash = digestToken(refreshToken);
    const owner = await store.refreshTokenOwner(this.deps.db.pool, hash);
    if (!owner) throw new AppError('invalid-token', IDENTITY.unknownRefreshToken());
    const next = randomToken('rt');
    const result = await this.deps.db.transaction(
      { orgId: owner.org_id, userId: owner.user_id },
      async (tx) => {
        const session = await store.lockSession(tx, owner.session_id);
        if (!session || session.revoked_at || session.expires_at.getTime() <= Date.now())
          return { kind: 'ended' as const };
        const user = await store.getUser(tx, owner.user_id);
        const spent = await store.spendRefreshToken(tx, hash);
        if (!spent || !user) {
          // A spent token came back: it was stolen or replayed. End the whole family.
          await store.revokeSession(tx, session.id, 'refresh token reuse');
          await this.deps.audit.record(tx, {
            orgId: session.org_id,
            actor: user ? userActor(user) : { type: 'anonymous', id: null, label: null },
            action: 'auth.token_reuse',
            outcome: 'failure',
            resourceType: 'session',
            resourceId: session.id,
            metadata: { reason: 'a refresh token was used twice; the session was revoked' },
            meta,
          });
          return {
            kind: 'reused' as const,
            orgId: session.org_id,
            userId: owner.user_id,
            sessionId: session.id,
          };
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
        await this.deps.audit.record(tx, {
          orgId: session.org_id,
          actor: userActor(user),
          action: 'auth.token_refresh',
          resourceType: 'session',
          resourceId: session.id,
          meta,
        });
        return { kind: 'ok' as const, session, user };
      },
    );
    if (result.kind === 'reused') {
      await this.deps.signals.tokenReused({
        orgId: result.orgId,
        userId: result.userId,
        sessionId: result.sessionId,
        ip: meta.ip,
        userAgent: meta.userAgent,
        at: new Date(),
      });
      throw new AppError('invalid-token', IDENTITY.refreshTokenReused());
    }
    if (result.kind === 'ended') throw new AppError('invalid-token', IDENTITY.sessionEnded());
    const amr = result.session.mfa_verified ? ['pwd', 'otp'] : ['pwd'];
    return {
      status: 'authenticated',
      tokenType: 'Bearer',
      accessToken: await issueAccessToken(this.deps.keys, this.deps.config.accessTokenTtl, {
        userId: result.user.id,
        sessionId: result.session.id,
        orgId: result.session.org_id,
        amr,
      }),
      expiresIn: this.deps.config.accessTokenTtl,
      refreshToken: next,
      sessionId: result.session.id,
      user: userSummary(result.user),
    };
  }
}
