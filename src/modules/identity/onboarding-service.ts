// Becoming a user: sign-up (a new account founding a new organization) and accepting an
// invitation (a new account, or an existing one proving itself with its password).
import type { Config } from '../../config.ts';
import { hashPassword, verifyPassword } from '../../platform/crypto/passwords.ts';
import { newId } from '../../platform/db/ids.ts';
import type { Db } from '../../platform/db/transaction.ts';
import { AppError, invalidField } from '../../platform/errors.ts';
import type { RequestMeta } from '../../platform/http/request-context.ts';
import type { AuditService } from '../audit/service.ts';
import type { TenancyService } from '../tenancy/service.ts';
import type { LoginLockout } from './lockout.ts';
import { assertPasswordAcceptable } from './password-policy.ts';
import * as store from './store.ts';
import { userActor, userSummary } from './user-summary.ts';

export class OnboardingService {
  private readonly db: Db;
  private readonly config: Config;
  private readonly audit: AuditService;
  private readonly tenancy: TenancyService;
  private readonly lockout: LoginLockout;

  constructor(deps: {
    db: Db;
    config: Config;
    audit: AuditService;
    tenancy: TenancyService;
    lockout: LoginLockout;
  }) {
    this.db = deps.db;
    this.config = deps.config;
    this.audit = deps.audit;
    this.tenancy = deps.tenancy;
    this.lockout = deps.lockout;
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
    if (!this.config.registrationEnabled)
      throw new AppError(
        'registration-closed',
        'sign-up is disabled on this installation; ask an administrator for an invitation',
      );
    assertPasswordAcceptable(body.password, this.config.passwordMinLength, [body.email, body.name]);
    await this.tenancy.organizations.assertSubdomainFree(body.organization.subdomain);
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
      const org = await this.tenancy.organizations.createOrganization(tx, {
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
    const inv = await this.tenancy.invitations.openInvitation(body.token);
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
      return this.tenancy.invitations.acceptInvitation(tx, {
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
