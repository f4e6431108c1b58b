import { hashPassword, verifyPassword } from '../../platform/crypto/passwords.ts';
import { newId } from '../../platform/db/ids.ts';
import { AppError, fieldError, invalidField } from '../../platform/errors.ts';
import type { RequestMeta } from '../../platform/http/request-context.ts';
import type { IdentityDeps } from './deps.ts';
import { IDENTITY } from './messages.ts';
import { assertPasswordAcceptable } from './password-policy.ts';
import * as store from './store.ts';
import { userActor, userSummary } from './user-summary.ts';

export class OnboardingService {
  private readonly deps: IdentityDeps;

  constructor(deps: IdentityDeps) {
    this.deps = deps;
  }

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
    if (!this.deps.config.registrationEnabled)
      throw new AppError('registration-closed', IDENTITY.registrationClosed());
    assertPasswordAcceptable(body.password, this.deps.config.passwordMinLength, [body.email, body.name]);
    await this.deps.tenancy.organizations.assertSubdomainFree(body.organization.subdomain);
    if (await store.loginLookup(this.deps.db.pool, body.email)) {
      throw new AppError('conflict', IDENTITY.emailRegistered(), {
        errors: [fieldError('email', 'unique', IDENTITY.alreadyRegistered())],
      });
    }
    const passwordHash = await hashPassword(body.password);
    const userId = newId();
    const orgId = newId();
    return this.deps.db.transaction({ orgId, userId }, async (tx) => {
      const user = await store.insertUser(tx, {
        id: userId,
        email: body.email,
        name: body.name,
        passwordHash,
        locale: body.locale ?? null,
      });
      const actor = userActor(user);
      await this.deps.audit.record(tx, {
        orgId,
        actor,
        action: 'user.register',
        resourceType: 'user',
        resourceId: user.id,
        metadata: { email: user.email },
        meta,
      });
      const org = await this.deps.tenancy.organizations.createOrganization(tx, {
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

  /**
   * Accepts an invitation: an existing account proves itself with its password; a new address
   * gets an account with the name and password given.
   */
  async acceptInvitation(body: { token: string; name?: string; password: string }, meta: RequestMeta) {
    const inv = await this.deps.tenancy.invitations.openInvitation(body.token);
    const existing = await store.loginLookup(this.deps.db.pool, inv.email);
    let userId: string;
    let passwordHash: string | null = null;
    if (existing) {
      await this.deps.lockout.assertNotLocked(inv.email, meta.ip);
      if (!(await verifyPassword(existing.password_hash, body.password))) {
        await this.deps.lockout.recordFailure(inv.email, meta.ip);
        throw new AppError('invalid-credentials', IDENTITY.existingAccountPassword({ email: inv.email }));
      }
      userId = existing.id;
    } else {
      if (!body.name) throw invalidField('name', 'required', IDENTITY.newAccountNeedsName());
      assertPasswordAcceptable(body.password, this.deps.config.passwordMinLength, [inv.email, body.name]);
      passwordHash = await hashPassword(body.password);
      userId = newId();
    }
    const membershipId = await this.deps.db.transaction({ orgId: inv.orgId, userId }, async (tx) => {
      if (passwordHash) {
        const user = await store.insertUser(tx, {
          id: userId,
          email: inv.email,
          name: body.name!,
          passwordHash,
        });
        await this.deps.audit.record(tx, {
          orgId: inv.orgId,
          actor: userActor(user),
          action: 'user.register',
          resourceType: 'user',
          resourceId: user.id,
          metadata: { email: user.email, via: 'invitation' },
          meta,
        });
      }
      return this.deps.tenancy.invitations.acceptInvitation(tx, {
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
}
