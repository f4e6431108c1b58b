import { hashPassword, verifyPassword } from '../../platform/crypto/passwords.ts';
import { AppError, fieldError, notFound } from '../../platform/errors.ts';
import type { CallContext, Principal } from '../../platform/http/request-context.ts';
import { issueAccessToken } from './access-tokens.ts';
import type { IdentityDeps } from './deps.ts';
import { IDENTITY } from './messages.ts';
import { assertPasswordAcceptable } from './password-policy.ts';
import type { LoginResultType, SessionInfoType } from './schemas.ts';
import * as store from './store.ts';
import { userActor } from './user-summary.ts';

export class AccountService {
  private readonly deps: IdentityDeps;

  constructor(deps: IdentityDeps) {
    this.deps = deps;
  }

  async logout(ctx: CallContext): Promise<void> {
    const p = ctx.principal;
    if (!p.sessionId) throw new AppError('conflict', IDENTITY.apiKeysDoNotLogOut());
    await this.deps.db.transaction({ orgId: p.org?.id ?? null, userId: p.userId }, async (tx) => {
      await store.revokeSession(tx, p.sessionId!, 'logout');
      await this.deps.audit.record(tx, {
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
    if (!p.sessionId) throw new AppError('conflict', IDENTITY.apiKeyOneOrganization());
    const target = await this.deps.tenancy.organizations.loginOrganization({
      userId: p.userId,
      isSuperAdmin: p.isSuperAdmin,
      wanted: orgId,
      ip: ctx.meta.ip,
    });
    if (target?.requireMfa && !p.mfaEnabled)
      throw new AppError('mfa-enrollment-required', IDENTITY.organizationRequiresMfa());
    await this.deps.db.transaction({ orgId, userId: p.userId }, async (tx) => {
      await store.setSessionOrg(tx, p.sessionId!, orgId);
      await this.deps.audit.record(tx, {
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
      accessToken: await issueAccessToken(this.deps.keys, this.deps.config.accessTokenTtl, {
        userId: p.userId,
        sessionId: p.sessionId,
        orgId,
        amr: p.mfaEnabled ? ['pwd', 'otp'] : ['pwd'],
      }),
      expiresIn: this.deps.config.accessTokenTtl,
      sessionId: p.sessionId,
      organization,
    };
  }

  async changePassword(
    ctx: CallContext,
    body: { currentPassword: string; newPassword: string },
  ): Promise<void> {
    const p = ctx.principal;
    await this.deps.lockout.assertNotLocked(p.email, ctx.meta.ip);
    const user = await this.deps.db.transaction({ orgId: null, userId: p.userId }, (tx) =>
      store.getUser(tx, p.userId),
    );
    if (!user || !(await verifyPassword(user.password_hash, body.currentPassword))) {
      await this.deps.lockout.recordFailure(p.email, ctx.meta.ip);
      throw new AppError('invalid-credentials', IDENTITY.wrongCurrentPassword(), {
        errors: [fieldError('currentPassword', 'matches', IDENTITY.notCurrentPassword())],
      });
    }
    assertPasswordAcceptable(
      body.newPassword,
      this.deps.config.passwordMinLength,
      [user.email, user.name],
      'newPassword',
    );
    const hash = await hashPassword(body.newPassword);
    await this.deps.db.transaction({ orgId: p.org?.id ?? null, userId: p.userId }, async (tx) => {
      await store.updateUser(tx, p.userId, { password_hash: hash, password_changed_at: new Date() });
      const revoked = await store.revokeOtherSessions(tx, p.userId, p.sessionId, 'password changed');
      await this.deps.audit.record(tx, {
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
    const rows = await this.deps.db.transaction({ orgId: null, userId: p.userId }, (tx) =>
      store.listSessions(tx, p.userId),
    );
    const idleLimit = Date.now() - this.deps.config.sessionIdleTimeout * 1000;
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
    await this.deps.db.transaction({ orgId: p.org?.id ?? null, userId: p.userId }, async (tx) => {
      const revoked = await store.revokeSession(tx, sessionId, 'revoked by user');
      if (!revoked) throw notFound('session');
      await this.deps.audit.record(tx, {
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
    return this.deps.db.transaction({ orgId: p.org?.id ?? null, userId: p.userId }, async (tx) => {
      const n = await store.revokeOtherSessions(tx, p.userId, p.sessionId, 'revoked by user');
      await this.deps.audit.record(tx, {
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
