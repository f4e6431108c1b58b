// Organizations: creation (with built-in roles and the founder as org admin), profile and
// settings, plan and usage, the login-time choice of organization, and platform administration.
import type { Config } from '../../config.ts';
import { newId } from '../../platform/db/ids.ts';
import type { Db, Sql } from '../../platform/db/transaction.ts';
import { AppError, fieldError, invalidField, notFound } from '../../platform/errors.ts';
import { HTTP } from '../../platform/http/messages.ts';
import { assertVersion } from '../../platform/http/preconditions.ts';
import {
  type CallContext,
  type Principal,
  type TenantScope,
  tenantScope,
} from '../../platform/http/request-context.ts';
import { isCurrency } from '../../platform/money/currency.ts';
import type { AccessService } from '../access/service.ts';
import { type AuditActor, type AuditService, actorOf, diff } from '../audit/service.ts';
import { assertOrgIpAllowed } from './ip-rule-service.ts';
import { TENANCY } from './messages.ts';
import type { MyOrganizationDto, OrganizationDto, PlanDto } from './schemas.ts';
import * as store from './store.ts';
import { monthPeriod } from './usage-meter.ts';

const RESERVED_SUBDOMAINS = new Set([
  'www',
  'api',
  'app',
  'admin',
  'administrator',
  'mail',
  'smtp',
  'docs',
  'static',
  'assets',
  'cdn',
  'status',
  'help',
  'support',
  'platform',
  'bul',
  'root',
  'system',
  'auth',
  'login',
  'metrics',
  'health',
  'ws',
]);

export interface LoginOrganization {
  id: string;
  name: string;
  subdomain: string;
  requireMfa: boolean;
}

export function orgToDto(o: store.OrgRow): OrganizationDto {
  return {
    id: o.id,
    name: o.name,
    subdomain: o.subdomain,
    planId: o.plan_id,
    status: o.status,
    requireMfa: o.require_mfa,
    timezone: o.timezone,
    locale: o.locale,
    currency: o.currency,
    createdAt: o.created_at.toISOString(),
    updatedAt: o.updated_at.toISOString(),
    version: o.version,
  };
}

function planToDto(p: store.PlanRow): PlanDto {
  return {
    id: p.id,
    name: p.name,
    maxUsers: p.max_users,
    maxApiRequestsPerMonth: p.max_api_requests_per_month,
    maxStorageBytes: p.max_storage_bytes,
    priceMinor: p.price_minor,
    currency: p.currency,
  };
}

function validateSubdomain(subdomain: string): void {
  if (RESERVED_SUBDOMAINS.has(subdomain)) {
    throw invalidField('organization.subdomain', 'reserved', TENANCY.subdomainReserved({ subdomain }));
  }
}

/** Storage is a running total, kept under this fixed period. */
const STORAGE_PERIOD = '1970-01-01';

export class OrganizationService {
  private readonly db: Db;
  private readonly config: Config;
  private readonly audit: AuditService;
  private readonly access: AccessService;
  private readonly subdomainCache = new Map<string, { at: number; id: string }>();

  constructor(deps: { db: Db; config: Config; audit: AuditService; access: AccessService }) {
    this.db = deps.db;
    this.config = deps.config;
    this.audit = deps.audit;
    this.access = deps.access;
  }

  async assertSubdomainFree(subdomain: string): Promise<void> {
    validateSubdomain(subdomain);
    if (await store.subdomainTaken(this.db.pool, subdomain)) {
      throw new AppError('conflict', TENANCY.subdomainTaken({ subdomain }), {
        errors: [fieldError('organization.subdomain', 'unique', TENANCY.alreadyTaken())],
      });
    }
  }

  /**
   * Creates an organization, its built-in roles and the creator's org_admin membership. The
   * transaction must act for the new organization (app.org_id = orgId).
   */
  async createOrganization(
    tx: Sql,
    o: {
      orgId: string;
      name: string;
      subdomain: string;
      adminUserId: string;
      actor: AuditActor;
      meta: CallContext['meta'] | null;
    },
  ): Promise<store.OrgRow> {
    validateSubdomain(o.subdomain);
    const org = await store.insertOrg(tx, {
      id: o.orgId,
      name: o.name,
      subdomain: o.subdomain,
      planId: this.config.defaultPlan,
    });
    const roles = await this.access.createBuiltinRoles(tx, org.id);
    const membershipId = newId();
    await store.insertMembership(tx, {
      orgId: org.id,
      id: membershipId,
      userId: o.adminUserId,
      roleId: roles.org_admin,
      departmentId: null,
    });
    await this.audit.record(tx, {
      orgId: org.id,
      actor: o.actor,
      action: 'organization.create',
      resourceType: 'organization',
      resourceId: org.id,
      changes: diff(null, org, ['name', 'subdomain', 'plan_id']),
      meta: o.meta,
    });
    await this.audit.record(tx, {
      orgId: org.id,
      actor: o.actor,
      action: 'member.add',
      resourceType: 'membership',
      resourceId: membershipId,
      changes: { userId: { before: null, after: o.adminUserId }, role: { before: null, after: 'org_admin' } },
      meta: o.meta,
    });
    return org;
  }

  /** A signed-in user founds another organization and becomes its admin. */
  async createOrganizationForUser(
    ctx: CallContext,
    body: { name: string; subdomain: string },
  ): Promise<OrganizationDto> {
    await this.assertSubdomainFree(body.subdomain);
    const orgId = newId();
    const org = await this.db.transaction({ orgId, userId: ctx.principal.userId }, (tx) =>
      this.createOrganization(tx, {
        orgId,
        name: body.name,
        subdomain: body.subdomain,
        adminUserId: ctx.principal.userId,
        actor: actorOf(ctx),
        meta: ctx.meta,
      }),
    );
    return orgToDto(org);
  }

  /** A user's organizations and role in each. */
  async myOrganizations(principal: Pick<Principal, 'userId'>): Promise<MyOrganizationDto[]> {
    return (await store.userOrganizations(this.db.pool, principal.userId)).map((r) => ({
      id: r.org_id,
      name: r.name,
      subdomain: r.subdomain,
      status: r.org_status,
      requireMfa: r.require_mfa,
      membership: { id: r.membership_id, status: r.membership_status },
      role: { id: r.role_id, key: r.role_key, name: r.role_name },
    }));
  }

  /** Organization id for a subdomain (cached a minute per process); null when none. */
  async resolveSubdomain(subdomain: string): Promise<string | null> {
    const key = subdomain.toLowerCase();
    const hit = this.subdomainCache.get(key);
    if (hit && Date.now() - hit.at < 60_000) return hit.id;
    const id = await store.orgIdBySubdomain(this.db.pool, key);
    if (this.subdomainCache.size > 10_000) this.subdomainCache.clear();
    // Only hits are cached: an organization created a moment ago must be reachable at once.
    if (id) this.subdomainCache.set(key, { at: Date.now(), id });
    return id;
  }

  /**
   * The organization a login opens: the one asked for (if the user belongs to it, or is a super
   * admin), else the first active membership; checked to be active and to accept the address.
   */
  async loginOrganization(o: {
    userId: string;
    isSuperAdmin: boolean;
    wanted: string | null;
    ip: string;
    /** The user's organizations when the caller already has them (the login lookup brings them). */
    memberships?: store.MyOrgRow[];
  }): Promise<LoginOrganization | null> {
    const rows = o.memberships ?? (await store.userOrganizations(this.db.pool, o.userId));
    let row: store.MyOrgRow | undefined;
    if (o.wanted) {
      row = rows.find((r) => r.org_id === o.wanted);
      if (!row) {
        if (!o.isSuperAdmin) throw new AppError('forbidden', TENANCY.notMemberOfThat());
        // A super admin visiting an organization they do not belong to.
        const org = await this.db.transaction({ orgId: o.wanted, userId: o.userId }, (tx) =>
          store.getOrg(tx, o.wanted!),
        );
        if (!org) throw notFound('organization');
        return { id: org.id, name: org.name, subdomain: org.subdomain, requireMfa: false };
      }
    } else {
      row = rows.find((r) => r.org_status === 'active' && r.membership_status === 'active') ?? rows[0];
      if (!row) return null;
    }
    if (!o.isSuperAdmin) {
      if (row.org_status !== 'active')
        throw new AppError('organization-suspended', TENANCY.organizationSuspended({ name: row.name }));
      assertOrgIpAllowed({ name: row.name, ipRules: row.ip_rules }, o.ip);
    }
    return { id: row.org_id, name: row.name, subdomain: row.subdomain, requireMfa: row.require_mfa };
  }

  /** Where a known user's failed login is recorded: the organization aimed at, else their first. */
  async auditOrganizationFor(
    userId: string,
    wanted: string | null,
    memberships?: store.MyOrgRow[],
  ): Promise<string | null> {
    const rows = memberships ?? (await store.userOrganizations(this.db.pool, userId));
    return rows.find((r) => r.org_id === wanted)?.org_id ?? rows[0]?.org_id ?? null;
  }

  async getOrganization(ctx: CallContext): Promise<OrganizationDto> {
    const s = tenantScope(ctx);
    const org = await this.db.transaction(s, (tx) => store.getOrg(tx, s.orgId));
    if (!org) throw notFound('organization');
    return orgToDto(org);
  }

  async updateOrganization(
    ctx: CallContext,
    body: { name?: string; requireMfa?: boolean; timezone?: string; locale?: string; currency?: string },
    expectedVersion?: number,
  ): Promise<OrganizationDto> {
    const s = tenantScope(ctx);
    return this.db.transaction(s, async (tx) => {
      const before = await store.getOrg(tx, s.orgId, true);
      if (!before) throw notFound('organization');
      assertVersion(before.version, expectedVersion, 'organization');
      if (body.timezone !== undefined && !(await store.isTimezone(tx, body.timezone))) {
        throw invalidField('timezone', 'timezone', TENANCY.timezone({ timezone: body.timezone }));
      }
      if (body.currency !== undefined && !isCurrency(body.currency)) {
        throw invalidField('currency', 'currency', HTTP.notCurrencyCode({ currency: body.currency }));
      }
      const after = await store.updateOrg(tx, s.orgId, {
        ...(body.currency !== undefined ? { currency: body.currency } : {}),
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.requireMfa !== undefined ? { require_mfa: body.requireMfa } : {}),
        ...(body.timezone !== undefined ? { timezone: body.timezone } : {}),
        ...(body.locale !== undefined ? { locale: body.locale } : {}),
      });
      const changes = diff(before, after, ['name', 'require_mfa', 'timezone', 'locale', 'currency']);
      if (changes) {
        await this.audit.record(tx, {
          orgId: s.orgId,
          actor: actorOf(ctx),
          action: changes.require_mfa ? 'organization.mfa_policy' : 'organization.update',
          resourceType: 'organization',
          resourceId: s.orgId,
          changes,
          meta: ctx.meta,
        });
      }
      return orgToDto(after);
    });
  }

  /** The book currency and time zone of the organization the transaction acts for. */
  async bookSettings(tx: Sql): Promise<{ currency: string; timezone: string }> {
    const { rows } = await tx.query<{ currency: string; timezone: string }>(
      'SELECT currency, timezone FROM organizations WHERE id = bul_current_org()',
    );
    if (!rows[0]) throw notFound('organization');
    return rows[0];
  }

  /**
   * Counts `bytes` of new stored files against the plan's storage limit, inside the caller's
   * transaction (so a failed upload releases nothing it did not take). quota-exceeded when full.
   */
  async reserveStorage(tx: Sql, orgId: string, bytes: number): Promise<void> {
    await store.lockUsage(tx, orgId, 'storage_bytes', STORAGE_PERIOD);
    const org = await store.getOrg(tx, orgId);
    const plan = org ? await store.getPlan(tx, org.plan_id) : null;
    const used = await store.getUsage(tx, 'storage_bytes', STORAGE_PERIOD);
    if (plan?.max_storage_bytes != null && used + bytes > plan.max_storage_bytes) {
      throw new AppError(
        'quota-exceeded',
        TENANCY.storageFull({ plan: plan.name, max: plan.max_storage_bytes, used, size: bytes }),
        { extra: { limit: { name: 'max_storage_bytes', value: plan.max_storage_bytes }, usage: used } },
      );
    }
    await store.addUsage(tx, orgId, 'storage_bytes', STORAGE_PERIOD, bytes);
  }

  /** Gives back storage when files are deleted. */
  async releaseStorage(tx: Sql, orgId: string, bytes: number): Promise<void> {
    if (bytes > 0) await store.addUsage(tx, orgId, 'storage_bytes', STORAGE_PERIOD, -bytes);
  }

  async listPlans(): Promise<PlanDto[]> {
    return (await store.listPlans(this.db.pool)).map(planToDto);
  }

  async usage(ctx: CallContext, unflushedRequests: number) {
    const s = tenantScope(ctx);
    return this.db.transaction(s, async (tx) => {
      const org = await store.getOrg(tx, s.orgId);
      const plan = org ? await store.getPlan(tx, org.plan_id) : null;
      if (!org || !plan) throw notFound('organization');
      const period = monthPeriod();
      return {
        plan: planToDto(plan),
        period,
        usage: {
          members: await store.countMembers(tx),
          openInvitations: await store.countOpenInvitations(tx),
          apiRequestsThisMonth: (await store.getUsage(tx, 'api_requests', period)) + unflushedRequests,
          storageBytes: await store.getUsage(tx, 'storage_bytes', STORAGE_PERIOD),
        },
      };
    });
  }

  /** Plan change by the organization (no payment provider is configured, so it takes effect at once). */
  async changePlan(ctx: CallContext, planId: string): Promise<OrganizationDto> {
    const s = tenantScope(ctx);
    return this.setPlan(s, planId, actorOf(ctx), ctx.meta);
  }

  private async setPlan(
    s: TenantScope,
    planId: string,
    actor: AuditActor,
    meta: CallContext['meta'],
  ): Promise<OrganizationDto> {
    return this.db.transaction(s, async (tx) => {
      const plan = await store.getPlan(tx, planId);
      if (!plan) throw invalidField('planId', 'exists', TENANCY.noPlan({ plan: planId }));
      await store.lockMemberships(tx, s.orgId);
      const before = await store.getOrg(tx, s.orgId, true);
      if (!before) throw notFound('organization');
      const members = await store.countMembers(tx);
      if (plan.max_users !== null && members > plan.max_users) {
        throw new AppError(
          'quota-exceeded',
          TENANCY.planTooSmall({ plan: plan.name, max: plan.max_users, members }),
          {
            extra: { limit: { name: 'max_users', value: plan.max_users }, usage: members },
          },
        );
      }
      const after = await store.updateOrg(tx, s.orgId, { plan_id: planId });
      const changes = diff(before, after, ['plan_id']);
      if (changes) {
        await this.audit.record(tx, {
          orgId: s.orgId,
          actor,
          action: 'organization.plan_change',
          resourceType: 'organization',
          resourceId: s.orgId,
          changes,
          meta,
        });
      }
      return orgToDto(after);
    });
  }

  async platformOrganizations(ctx: CallContext, q?: string) {
    const rows = await this.db.transaction({ orgId: null, userId: ctx.principal.userId }, (tx) =>
      store.platformOrganizations(tx, q),
    );
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      subdomain: r.subdomain,
      planId: r.plan_id,
      status: r.status,
      members: r.members,
      createdAt: r.created_at.toISOString(),
    }));
  }

  async updatePlatformOrganization(
    ctx: CallContext,
    orgId: string,
    body: { status?: 'active' | 'suspended'; planId?: string },
  ): Promise<OrganizationDto> {
    const s = { orgId, userId: ctx.principal.userId };
    if (body.planId !== undefined) await this.setPlan(s, body.planId, actorOf(ctx), ctx.meta);
    return this.db.transaction(s, async (tx) => {
      const before = await store.getOrg(tx, orgId, true);
      if (!before) throw notFound('organization');
      if (body.status === undefined || body.status === before.status) return orgToDto(before);
      const after = await store.updateOrg(tx, orgId, { status: body.status });
      await this.audit.record(tx, {
        orgId,
        actor: actorOf(ctx),
        action: body.status === 'suspended' ? 'organization.suspend' : 'organization.reactivate',
        resourceType: 'organization',
        resourceId: orgId,
        changes: diff(before, after, ['status']),
        meta: ctx.meta,
      });
      return orgToDto(after);
    });
  }
}
