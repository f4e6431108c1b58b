// Tenancy: organizations with their plan and limits, memberships, invitations, departments and
// the organization's IP rules. Every write is audited in its own transaction.
import type { Config } from '../../config.ts';
import { digestToken, randomToken } from '../../platform/crypto/tokens.ts';
import { newId } from '../../platform/db/ids.ts';
import type { Db, Sql } from '../../platform/db/transaction.ts';
import { AppError, invalidField, notFound } from '../../platform/errors.ts';
import { IpRangeSet, normaliseCidr } from '../../platform/http/ip-ranges.ts';
import { decodeCursor, type PageOf, toPage } from '../../platform/http/pagination.ts';
import { assertVersion } from '../../platform/http/preconditions.ts';
import type { CallContext, OrgSnapshot, Principal } from '../../platform/http/request-context.ts';
import type { AccessService } from '../access/service.ts';
import { type AuditActor, type AuditService, actorOf, diff } from '../audit/service.ts';
import type {
  DepartmentDto,
  InvitationDto,
  IpRuleDto,
  MemberDto,
  MyOrganizationDto,
  OrganizationDto,
  PlanDto,
} from './schemas.ts';
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

const isIdCursor = (v: unknown): v is { id: string } =>
  typeof v === 'object' && v !== null && typeof (v as { id: unknown }).id === 'string';

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

function memberToDto(m: store.MemberRow): MemberDto {
  return {
    id: m.id,
    userId: m.user_id,
    email: m.email,
    name: m.name,
    mfaEnabled: m.mfa_enabled,
    role: { id: m.role_id, key: m.role_key, name: m.role_name },
    departmentId: m.department_id,
    status: m.status,
    createdAt: m.created_at.toISOString(),
    updatedAt: m.updated_at.toISOString(),
    version: m.version,
  };
}

function invitationStatus(i: store.InvitationRow): InvitationDto['status'] {
  if (i.accepted_at) return 'accepted';
  if (i.revoked_at) return 'revoked';
  return i.expires_at.getTime() <= Date.now() ? 'expired' : 'open';
}

function invitationToDto(i: store.InvitationRow): InvitationDto {
  return {
    id: i.id,
    email: i.email,
    role: { id: i.role_id, name: i.role_name },
    departmentId: i.department_id,
    invitedBy: i.invited_by,
    status: invitationStatus(i),
    expiresAt: i.expires_at.toISOString(),
    acceptedAt: i.accepted_at?.toISOString() ?? null,
    createdAt: i.created_at.toISOString(),
    updatedAt: i.updated_at.toISOString(),
    version: i.version,
  };
}

function departmentToDto(d: store.DepartmentRow): DepartmentDto {
  return {
    id: d.id,
    parentId: d.parent_id,
    name: d.name,
    description: d.description,
    depth: d.depth ?? 0,
    path: d.path ?? [],
    members: d.members ?? 0,
    createdAt: d.created_at.toISOString(),
    updatedAt: d.updated_at.toISOString(),
    version: d.version,
  };
}

function ipRuleToDto(r: store.IpRuleRow): IpRuleDto {
  return {
    id: r.id,
    cidr: r.cidr,
    action: r.action,
    note: r.note,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    version: r.version,
  };
}

/**
 * Compiles allow/deny rules into a check: deny wins; once any allow rule exists, only addresses it
 * covers get through; no rules let everything through.
 */
export function compileIpRules(
  rules: readonly { cidr: string; action: 'allow' | 'deny' }[],
): (ip: string) => boolean {
  if (rules.length === 0) return () => true;
  const deny = new IpRangeSet(rules.filter((r) => r.action === 'deny').map((r) => r.cidr));
  const allowList = rules.filter((r) => r.action === 'allow').map((r) => r.cidr);
  const allow = new IpRangeSet(allowList);
  return (ip) => !deny.has(ip) && (allowList.length === 0 || allow.has(ip));
}

export function ipPasses(rules: readonly { cidr: string; action: 'allow' | 'deny' }[], ip: string): boolean {
  return compileIpRules(rules)(ip);
}

export function assertOrgIpAllowed(org: Pick<OrgSnapshot, 'ipRules' | 'name'>, ip: string): void {
  if (!ipPasses(org.ipRules, ip)) {
    throw new AppError('ip-blocked', `the organization ${org.name} does not accept requests from ${ip}`);
  }
}

function validateSubdomain(subdomain: string): void {
  if (RESERVED_SUBDOMAINS.has(subdomain)) {
    throw invalidField(
      'organization.subdomain',
      'reserved',
      `"${subdomain}" is reserved; choose another subdomain`,
    );
  }
}

interface Scope {
  orgId: string;
  userId: string;
}

function scopeOf(ctx: CallContext): Scope {
  const orgId = ctx.principal.org?.id;
  if (!orgId) throw new AppError('forbidden', 'no organization selected; send X-Organization-ID');
  return { orgId, userId: ctx.principal.userId };
}

export class TenancyService {
  private readonly db: Db;
  private readonly config: Config;
  private readonly audit: AuditService;
  private readonly access: AccessService;
  private platformRulesCache: { at: number; rules: { cidr: string; action: 'allow' | 'deny' }[] } | null =
    null;
  private readonly subdomainCache = new Map<string, { at: number; id: string }>();

  constructor(deps: { db: Db; config: Config; audit: AuditService; access: AccessService }) {
    this.db = deps.db;
    this.config = deps.config;
    this.audit = deps.audit;
    this.access = deps.access;
  }

  // ---- onboarding (called by identity inside its transactions) ---------------------------------

  async assertSubdomainFree(subdomain: string): Promise<void> {
    validateSubdomain(subdomain);
    if (await store.subdomainTaken(this.db.pool, subdomain)) {
      throw new AppError('conflict', `the subdomain "${subdomain}" is taken`, {
        errors: [
          { field: 'organization.subdomain', in: 'body', rule: 'unique', message: 'is already taken' },
        ],
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

  /** The open invitation a token stands for, or 401 invalid-token. */
  async openInvitation(token: string): Promise<{ orgId: string; id: string; email: string }> {
    const ref = await store.invitationByToken(this.db.pool, digestToken(token));
    if (!ref) throw new AppError('invalid-token', 'unknown invitation token');
    const inv = await this.db.transaction({ orgId: ref.org_id, userId: null }, (tx) =>
      store.getInvitation(tx, ref.id),
    );
    if (!inv || invitationStatus(inv) !== 'open') {
      throw new AppError('invalid-token', `the invitation is ${inv ? invitationStatus(inv) : 'gone'}`);
    }
    return { orgId: ref.org_id, id: ref.id, email: inv.email };
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

  /** Turns an open invitation into a membership; the transaction acts for the invitation's organization. */
  async acceptInvitation(
    tx: Sql,
    a: {
      orgId: string;
      invitationId: string;
      userId: string;
      email: string;
      actor: AuditActor;
      meta: CallContext['meta'];
    },
  ): Promise<string> {
    await store.lockMemberships(tx, a.orgId);
    const inv = await store.getInvitation(tx, a.invitationId, true);
    if (!inv || invitationStatus(inv) !== 'open')
      throw new AppError('invalid-token', 'the invitation is no longer valid (accepted, revoked or expired)');
    if (inv.email.toLowerCase() !== a.email.toLowerCase())
      throw new AppError('invalid-token', 'the invitation was issued to another e-mail address');
    if (await store.memberByUser(tx, a.userId))
      throw new AppError('conflict', 'you are already a member of this organization');
    await this.assertSeatAvailable(tx, a.orgId, 0);
    const membershipId = newId();
    await store.insertMembership(tx, {
      orgId: a.orgId,
      id: membershipId,
      userId: a.userId,
      roleId: inv.role_id,
      departmentId: inv.department_id,
    });
    await store.markInvitationAccepted(tx, inv.id, a.userId);
    await this.audit.record(tx, {
      orgId: a.orgId,
      actor: a.actor,
      action: 'invitation.accept',
      resourceType: 'invitation',
      resourceId: inv.id,
      metadata: { membershipId, email: inv.email, role: inv.role_name },
      meta: a.meta,
    });
    return membershipId;
  }

  private async assertSeatAvailable(tx: Sql, orgId: string, openInvitations: number): Promise<void> {
    const org = await store.getOrg(tx, orgId);
    const plan = org ? await store.getPlan(tx, org.plan_id) : null;
    if (!plan || plan.max_users === null) return;
    const members = await store.countMembers(tx);
    const used = members + openInvitations;
    if (used >= plan.max_users) {
      throw new AppError(
        'quota-exceeded',
        `the ${plan.name} plan allows ${plan.max_users} users; ${members} are members${openInvitations ? ` and ${openInvitations} invitations are open` : ''}`,
        {
          extra: { limit: { name: 'max_users', value: plan.max_users }, usage: used },
        },
      );
    }
  }

  // ---- global IP rules -----------------------------------------------------------------------

  /** Global rules: configuration lists plus rules stored by super admins (cached 10 s per process). */
  async platformIpRules(): Promise<{ cidr: string; action: 'allow' | 'deny' }[]> {
    const now = Date.now();
    if (!this.platformRulesCache || now - this.platformRulesCache.at > 10_000) {
      const rows = await store.listIpRules(this.db.pool, true);
      this.platformRulesCache = { at: now, rules: rows.map((r) => ({ cidr: r.cidr, action: r.action })) };
    }
    return [
      ...this.config.ipDenylist.map((cidr) => ({ cidr, action: 'deny' as const })),
      ...this.config.ipAllowlist.map((cidr) => ({ cidr, action: 'allow' as const })),
      ...this.platformRulesCache.rules,
    ];
  }

  // ---- organization ----------------------------------------------------------------------------

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
  }): Promise<LoginOrganization | null> {
    const rows = await store.userOrganizations(this.db.pool, o.userId);
    let row: store.MyOrgRow | undefined;
    if (o.wanted) {
      row = rows.find((r) => r.org_id === o.wanted);
      if (!row) {
        if (!o.isSuperAdmin) throw new AppError('forbidden', 'you are not a member of that organization');
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
        throw new AppError('organization-suspended', `the organization ${row.name} is suspended`);
      assertOrgIpAllowed({ name: row.name, ipRules: row.ip_rules }, o.ip);
    }
    return { id: row.org_id, name: row.name, subdomain: row.subdomain, requireMfa: row.require_mfa };
  }

  /** Where a known user's failed login is recorded: the organization aimed at, else their first. */
  async auditOrganizationFor(userId: string, wanted: string | null): Promise<string | null> {
    const rows = await store.userOrganizations(this.db.pool, userId);
    return rows.find((r) => r.org_id === wanted)?.org_id ?? rows[0]?.org_id ?? null;
  }

  async getOrganization(ctx: CallContext): Promise<OrganizationDto> {
    const s = scopeOf(ctx);
    const org = await this.db.transaction(s, (tx) => store.getOrg(tx, s.orgId));
    if (!org) throw notFound('organization');
    return orgToDto(org);
  }

  async updateOrganization(
    ctx: CallContext,
    body: { name?: string; requireMfa?: boolean; timezone?: string; locale?: string },
    expectedVersion?: number,
  ): Promise<OrganizationDto> {
    const s = scopeOf(ctx);
    return this.db.transaction(s, async (tx) => {
      const before = await store.getOrg(tx, s.orgId, true);
      if (!before) throw notFound('organization');
      assertVersion(before.version, expectedVersion, 'the organization');
      if (body.timezone !== undefined && !(await store.isTimezone(tx, body.timezone))) {
        throw invalidField(
          'timezone',
          'timezone',
          `"${body.timezone}" is not an IANA time zone (e.g. America/Sao_Paulo)`,
        );
      }
      const after = await store.updateOrg(tx, s.orgId, {
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.requireMfa !== undefined ? { require_mfa: body.requireMfa } : {}),
        ...(body.timezone !== undefined ? { timezone: body.timezone } : {}),
        ...(body.locale !== undefined ? { locale: body.locale } : {}),
      });
      const changes = diff(before, after, ['name', 'require_mfa', 'timezone', 'locale']);
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

  async listPlans(): Promise<PlanDto[]> {
    return (await store.listPlans(this.db.pool)).map(planToDto);
  }

  async usage(ctx: CallContext, unflushedRequests: number) {
    const s = scopeOf(ctx);
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
          storageBytes: await store.getUsage(tx, 'storage_bytes', '1970-01-01'),
        },
      };
    });
  }

  /** Plan change by the organization (no payment provider is configured, so it takes effect at once). */
  async changePlan(ctx: CallContext, planId: string): Promise<OrganizationDto> {
    const s = scopeOf(ctx);
    return this.setPlan(s, planId, actorOf(ctx), ctx.meta);
  }

  private async setPlan(
    s: Scope,
    planId: string,
    actor: AuditActor,
    meta: CallContext['meta'],
  ): Promise<OrganizationDto> {
    return this.db.transaction(s, async (tx) => {
      const plan = await store.getPlan(tx, planId);
      if (!plan) throw invalidField('planId', 'exists', `no plan "${planId}"`);
      await store.lockMemberships(tx, s.orgId);
      const before = await store.getOrg(tx, s.orgId, true);
      if (!before) throw notFound('organization');
      const members = await store.countMembers(tx);
      if (plan.max_users !== null && members > plan.max_users) {
        throw new AppError(
          'quota-exceeded',
          `the ${plan.name} plan allows ${plan.max_users} users but the organization has ${members}`,
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

  // ---- members ---------------------------------------------------------------------------------

  async listMembers(
    ctx: CallContext,
    q: {
      role_id?: string;
      department_id?: string;
      status?: string;
      q?: string;
      limit?: number;
      cursor?: string;
    },
  ): Promise<PageOf<MemberDto>> {
    const s = scopeOf(ctx);
    const limit = q.limit ?? 50;
    const cursor = decodeCursor(q.cursor, isIdCursor);
    const rows = await this.db.transaction(s, (tx) =>
      store.listMembers(tx, {
        roleId: q.role_id,
        departmentId: q.department_id,
        status: q.status,
        q: q.q,
        afterId: cursor?.id,
        limit,
      }),
    );
    return toPage(rows, limit, memberToDto, (r) => ({ id: r.id }));
  }

  async getMember(ctx: CallContext, id: string): Promise<MemberDto> {
    const s = scopeOf(ctx);
    const row = await this.db.transaction(s, (tx) => store.getMember(tx, id));
    if (!row) throw notFound('member');
    return memberToDto(row);
  }

  async updateMember(
    ctx: CallContext,
    id: string,
    body: { roleId?: string; departmentId?: string | null; status?: 'active' | 'suspended' },
    expectedVersion?: number,
  ): Promise<MemberDto> {
    const s = scopeOf(ctx);
    return this.db.transaction(s, async (tx) => {
      await store.lockMemberships(tx, s.orgId);
      const before = await store.getMember(tx, id, true);
      if (!before) throw notFound('member');
      assertVersion(before.version, expectedVersion, 'the member');
      const currentRole = await this.access.roleInTx(tx, before.role_id);
      // Changing someone requires holding everything their current role holds.
      if (currentRole) this.access.assertCanAssign(ctx.principal, currentRole);
      if (body.roleId !== undefined && body.roleId !== before.role_id) {
        const role = await this.access.roleInTx(tx, body.roleId);
        if (!role) throw invalidField('roleId', 'exists', 'no such role in this organization');
        this.access.assertCanAssign(ctx.principal, role);
      }
      if (body.departmentId && !(await store.getDepartment(tx, body.departmentId))) {
        throw invalidField('departmentId', 'exists', 'no such department in this organization');
      }
      await store.updateMembership(tx, id, body);
      if (before.role_key === 'org_admin' && (await store.countActiveAdmins(tx)) === 0) {
        throw new AppError(
          'conflict',
          'this is the last active organization admin; make someone else admin first',
        );
      }
      const after = (await store.getMember(tx, id))!;
      const changes = diff(
        { role: before.role_name, departmentId: before.department_id, status: before.status },
        { role: after.role_name, departmentId: after.department_id, status: after.status },
        ['role', 'departmentId', 'status'],
      );
      if (changes) {
        await this.audit.record(tx, {
          orgId: s.orgId,
          actor: actorOf(ctx),
          action: changes.role ? 'member.role_change' : 'member.update',
          resourceType: 'membership',
          resourceId: id,
          changes,
          metadata: { userId: before.user_id, email: before.email },
          meta: ctx.meta,
        });
      }
      return memberToDto(after);
    });
  }

  async removeMember(ctx: CallContext, id: string): Promise<void> {
    const s = scopeOf(ctx);
    await this.db.transaction(s, async (tx) => {
      await store.lockMemberships(tx, s.orgId);
      const before = await store.getMember(tx, id, true);
      if (!before) throw notFound('member');
      const role = await this.access.roleInTx(tx, before.role_id);
      if (role && before.user_id !== ctx.principal.userId) this.access.assertCanAssign(ctx.principal, role);
      await store.deleteMembership(tx, id);
      if (before.role_key === 'org_admin' && (await store.countActiveAdmins(tx)) === 0) {
        throw new AppError(
          'conflict',
          'this is the last active organization admin; make someone else admin first',
        );
      }
      await this.audit.record(tx, {
        orgId: s.orgId,
        actor: actorOf(ctx),
        action: 'member.remove',
        resourceType: 'membership',
        resourceId: id,
        changes: { role: { before: before.role_name, after: null } },
        metadata: { userId: before.user_id, email: before.email },
        meta: ctx.meta,
      });
    });
  }

  // ---- invitations -----------------------------------------------------------------------------

  async listInvitations(
    ctx: CallContext,
    q: { status?: string; limit?: number; cursor?: string },
  ): Promise<PageOf<InvitationDto>> {
    const s = scopeOf(ctx);
    const limit = q.limit ?? 50;
    const cursor = decodeCursor(q.cursor, isIdCursor);
    const rows = await this.db.transaction(s, (tx) =>
      store.listInvitations(tx, { status: q.status, afterId: cursor?.id, limit }),
    );
    return toPage(rows, limit, invitationToDto, (r) => ({ id: r.id }));
  }

  async createInvitation(
    ctx: CallContext,
    body: { email: string; roleId: string; departmentId?: string | null },
  ) {
    const s = scopeOf(ctx);
    const token = randomToken('inv');
    const row = await this.db.transaction(s, async (tx) => {
      await store.lockMemberships(tx, s.orgId);
      const role = await this.access.roleInTx(tx, body.roleId);
      if (!role) throw invalidField('roleId', 'exists', 'no such role in this organization');
      this.access.assertCanAssign(ctx.principal, role);
      if (body.departmentId && !(await store.getDepartment(tx, body.departmentId))) {
        throw invalidField('departmentId', 'exists', 'no such department in this organization');
      }
      const { rows: existing } = await tx.query(
        'SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id WHERE lower(u.email) = lower($1)',
        [body.email],
      );
      if (existing.length > 0) throw new AppError('conflict', `${body.email} is already a member`);
      await store.revokeExpiredInvitationsFor(tx, body.email);
      await this.assertSeatAvailable(tx, s.orgId, await store.countOpenInvitations(tx));
      const id = newId();
      await store.insertInvitation(tx, {
        orgId: s.orgId,
        id,
        email: body.email,
        roleId: role.id,
        departmentId: body.departmentId ?? null,
        tokenHash: digestToken(token),
        invitedBy: ctx.principal.userId,
        expiresAt: new Date(Date.now() + this.config.invitationTtl * 1000),
      });
      await this.audit.record(tx, {
        orgId: s.orgId,
        actor: actorOf(ctx),
        action: 'invitation.create',
        resourceType: 'invitation',
        resourceId: id,
        metadata: { email: body.email.toLowerCase(), role: role.name },
        meta: ctx.meta,
      });
      return (await store.getInvitation(tx, id))!;
    });
    return { ...invitationToDto(row), token };
  }

  async revokeInvitation(ctx: CallContext, id: string): Promise<void> {
    const s = scopeOf(ctx);
    await this.db.transaction(s, async (tx) => {
      const inv = await store.getInvitation(tx, id, true);
      if (!inv) throw notFound('invitation');
      if (invitationStatus(inv) !== 'open')
        throw new AppError('conflict', `the invitation is already ${invitationStatus(inv)}`);
      await store.revokeInvitation(tx, id);
      await this.audit.record(tx, {
        orgId: s.orgId,
        actor: actorOf(ctx),
        action: 'invitation.revoke',
        resourceType: 'invitation',
        resourceId: id,
        metadata: { email: inv.email },
        meta: ctx.meta,
      });
    });
  }

  // ---- departments -----------------------------------------------------------------------------

  async departmentTree(ctx: CallContext): Promise<DepartmentDto[]> {
    const s = scopeOf(ctx);
    return (await this.db.transaction(s, (tx) => store.departmentTree(tx))).map(departmentToDto);
  }

  async getDepartment(ctx: CallContext, id: string): Promise<DepartmentDto> {
    const s = scopeOf(ctx);
    const row = await this.db.transaction(
      s,
      async (tx) => (await store.departmentTree(tx)).find((d) => d.id === id) ?? null,
    );
    if (!row) throw notFound('department');
    return departmentToDto(row);
  }

  async createDepartment(
    ctx: CallContext,
    body: { name: string; description?: string; parentId?: string | null },
  ): Promise<DepartmentDto> {
    const s = scopeOf(ctx);
    return this.db.transaction(s, async (tx) => {
      await store.lockDepartments(tx, s.orgId);
      if (body.parentId && !(await store.getDepartment(tx, body.parentId))) {
        throw invalidField('parentId', 'exists', 'no such department in this organization');
      }
      const row = await store.insertDepartment(tx, {
        orgId: s.orgId,
        id: newId(),
        parentId: body.parentId ?? null,
        name: body.name,
        description: body.description ?? '',
      });
      await this.audit.record(tx, {
        orgId: s.orgId,
        actor: actorOf(ctx),
        action: 'department.create',
        resourceType: 'department',
        resourceId: row.id,
        changes: diff(null, row, ['name', 'description', 'parent_id']),
        meta: ctx.meta,
      });
      return departmentToDto((await store.departmentTree(tx)).find((d) => d.id === row.id) ?? row);
    });
  }

  async updateDepartment(
    ctx: CallContext,
    id: string,
    body: { name?: string; description?: string; parentId?: string | null },
    expectedVersion?: number,
  ): Promise<DepartmentDto> {
    const s = scopeOf(ctx);
    return this.db.transaction(s, async (tx) => {
      await store.lockDepartments(tx, s.orgId);
      const before = await store.getDepartment(tx, id, true);
      if (!before) throw notFound('department');
      assertVersion(before.version, expectedVersion, 'the department');
      if (body.parentId) {
        if (!(await store.getDepartment(tx, body.parentId)))
          throw invalidField('parentId', 'exists', 'no such department in this organization');
        if (await store.isSelfOrDescendant(tx, id, body.parentId)) {
          throw new AppError(
            'conflict',
            'a department cannot be moved under itself or one of its own sub-departments',
          );
        }
      }
      const after = await store.updateDepartment(tx, id, body);
      const changes = diff(before, after, ['name', 'description', 'parent_id']);
      if (changes) {
        await this.audit.record(tx, {
          orgId: s.orgId,
          actor: actorOf(ctx),
          action: 'department.update',
          resourceType: 'department',
          resourceId: id,
          changes,
          meta: ctx.meta,
        });
      }
      return departmentToDto((await store.departmentTree(tx)).find((d) => d.id === id) ?? after);
    });
  }

  async deleteDepartment(ctx: CallContext, id: string): Promise<void> {
    const s = scopeOf(ctx);
    await this.db.transaction(s, async (tx) => {
      await store.lockDepartments(tx, s.orgId);
      const before = await store.getDepartment(tx, id, true);
      if (!before) throw notFound('department');
      if (await store.hasChildDepartments(tx, id))
        throw new AppError('conflict', 'the department has sub-departments; move or delete them first');
      await store.deleteDepartment(tx, id);
      await this.audit.record(tx, {
        orgId: s.orgId,
        actor: actorOf(ctx),
        action: 'department.delete',
        resourceType: 'department',
        resourceId: id,
        changes: diff(before, null, ['name', 'description', 'parent_id']),
        meta: ctx.meta,
      });
    });
  }

  // ---- IP rules (organization, and platform when `platform`) -----------------------------------

  private ipScope(ctx: CallContext, platform: boolean): { orgId: string; userId: string } {
    return platform
      ? { orgId: '00000000-0000-0000-0000-000000000000', userId: ctx.principal.userId }
      : scopeOf(ctx);
  }

  async listIpRules(ctx: CallContext, platform = false): Promise<IpRuleDto[]> {
    const s = this.ipScope(ctx, platform);
    return (await this.db.transaction(s, (tx) => store.listIpRules(tx, platform))).map(ipRuleToDto);
  }

  async addIpRule(
    ctx: CallContext,
    body: { cidr: string; action: 'allow' | 'deny'; note?: string },
    platform = false,
  ): Promise<IpRuleDto> {
    let cidr: string;
    try {
      cidr = normaliseCidr(body.cidr);
    } catch {
      throw invalidField('cidr', 'cidr', 'must be an IPv4 or IPv6 address or CIDR such as 203.0.113.0/24');
    }
    const s = this.ipScope(ctx, platform);
    const row = await this.db.transaction(s, async (tx) => {
      const current = await store.listIpRules(tx, platform);
      const next = [
        ...current.map((r) => ({ cidr: r.cidr, action: r.action })),
        { cidr, action: body.action },
      ];
      // Refuse a rule that would shut out the very client adding it.
      if (!ipPasses(next, ctx.meta.ip)) {
        throw new AppError(
          'conflict',
          `this rule would block your own address ${ctx.meta.ip}; add an allow rule for it first`,
        );
      }
      const inserted = await store.insertIpRule(tx, {
        orgId: platform ? null : s.orgId,
        id: newId(),
        cidr,
        action: body.action,
        note: body.note ?? '',
      });
      await this.audit.record(tx, {
        orgId: platform ? null : s.orgId,
        actor: actorOf(ctx),
        action: platform ? 'platform.ip_rule.create' : 'ip_rule.create',
        resourceType: 'ip_rule',
        resourceId: inserted.id,
        changes: diff(null, inserted, ['cidr', 'action', 'note']),
        meta: ctx.meta,
      });
      return inserted;
    });
    if (platform) this.platformRulesCache = null;
    return ipRuleToDto(row);
  }

  async removeIpRule(ctx: CallContext, id: string, platform = false): Promise<void> {
    const s = this.ipScope(ctx, platform);
    await this.db.transaction(s, async (tx) => {
      const current = await store.listIpRules(tx, platform);
      const rule = current.find((r) => r.id === id);
      if (!rule) throw notFound('IP rule');
      const next = current.filter((r) => r.id !== id).map((r) => ({ cidr: r.cidr, action: r.action }));
      if (!ipPasses(next, ctx.meta.ip)) {
        throw new AppError('conflict', `removing this rule would block your own address ${ctx.meta.ip}`);
      }
      await store.deleteIpRule(tx, id, platform);
      await this.audit.record(tx, {
        orgId: platform ? null : s.orgId,
        actor: actorOf(ctx),
        action: platform ? 'platform.ip_rule.delete' : 'ip_rule.delete',
        resourceType: 'ip_rule',
        resourceId: id,
        changes: diff(rule, null, ['cidr', 'action', 'note']),
        meta: ctx.meta,
      });
    });
    if (platform) this.platformRulesCache = null;
  }

  // ---- platform administration (super admins) --------------------------------------------------

  async platformOrganizations(ctx: CallContext) {
    const rows = await this.db.transaction({ orgId: null, userId: ctx.principal.userId }, (tx) =>
      store.platformOrganizations(tx),
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
