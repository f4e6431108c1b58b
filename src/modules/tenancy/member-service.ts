// Members of an organization: their role, department and status. Nobody changes a member whose
// role carries permissions they lack, nor hands out such a role; the last active org admin stays.
import type { Db, Sql } from '../../platform/db/transaction.ts';
import { AppError, invalidField, notFound } from '../../platform/errors.ts';
import { decodeCursor, isIdCursor, type PageOf, toPage } from '../../platform/http/pagination.ts';
import { assertVersion } from '../../platform/http/preconditions.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import { COMMON } from '../../platform/i18n/common-messages.ts';
import { resourceName } from '../../platform/i18n/resource-names.ts';
import type { AccessService } from '../access/service.ts';
import { type AuditService, actorOf, diff } from '../audit/service.ts';
import { TENANCY } from './messages.ts';
import type { MemberDto } from './schemas.ts';
import * as store from './store.ts';

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

export class MemberService {
  private readonly db: Db;
  private readonly audit: AuditService;
  private readonly access: AccessService;

  constructor(deps: { db: Db; audit: AuditService; access: AccessService }) {
    this.db = deps.db;
    this.audit = deps.audit;
    this.access = deps.access;
  }

  /** Whether a user is a member of the organization the transaction acts for (any status). */
  async isMember(tx: Sql, userId: string): Promise<boolean> {
    return (await store.memberByUser(tx, userId)) !== null;
  }

  /** Member user ids by lower-cased e-mail, for imports that name people by e-mail. */
  async userIdsByEmail(tx: Sql, emails: string[]): Promise<Map<string, string>> {
    return store.memberUserIdsByEmail(tx, emails);
  }

  async listMembers(
    ctx: CallContext,
    q: {
      role_id?: string;
      department_id?: string;
      status?: string;
      q?: string;
      user_id?: string[];
      limit?: number;
      cursor?: string;
    },
  ): Promise<PageOf<MemberDto>> {
    const s = tenantScope(ctx);
    const limit = q.limit ?? 50;
    const cursor = decodeCursor(q.cursor, isIdCursor);
    const rows = await this.db.transaction(s, (tx) =>
      store.listMembers(tx, {
        roleId: q.role_id,
        departmentId: q.department_id,
        status: q.status,
        q: q.q,
        userIds: q.user_id,
        afterId: cursor?.id,
        limit,
      }),
    );
    return toPage(rows, limit, memberToDto, (r) => ({ id: r.id }));
  }

  async getMember(ctx: CallContext, id: string): Promise<MemberDto> {
    const s = tenantScope(ctx);
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
    const s = tenantScope(ctx);
    return this.db.transaction(s, async (tx) => {
      await store.lockMemberships(tx, s.orgId);
      const before = await store.getMember(tx, id, true);
      if (!before) throw notFound('member');
      assertVersion(before.version, expectedVersion, 'member');
      const currentRole = await this.access.roleInTx(tx, before.role_id);
      // Changing someone requires holding everything their current role holds.
      if (currentRole) this.access.assertCanAssign(ctx.principal, currentRole);
      if (body.roleId !== undefined && body.roleId !== before.role_id) {
        const role = await this.access.roleInTx(tx, body.roleId);
        if (!role) throw invalidField('roleId', 'exists', COMMON.noSuch({ what: resourceName('role') }));
        this.access.assertCanAssign(ctx.principal, role);
      }
      if (body.departmentId && !(await store.getDepartment(tx, body.departmentId))) {
        throw invalidField('departmentId', 'exists', COMMON.noSuch({ what: resourceName('department') }));
      }
      await store.updateMembership(tx, id, body);
      if (before.role_key === 'org_admin' && (await store.countActiveAdmins(tx)) === 0) {
        throw new AppError('conflict', TENANCY.lastAdmin());
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
          events: changes.role
            ? [
                {
                  type: 'role.changed',
                  payload: { id: before.user_id, roleId: after.role_id, previousRoleId: before.role_id },
                },
              ]
            : [],
          changes,
          metadata: { userId: before.user_id, email: before.email },
          meta: ctx.meta,
        });
      }
      return memberToDto(after);
    });
  }

  async removeMember(ctx: CallContext, id: string): Promise<void> {
    const s = tenantScope(ctx);
    await this.db.transaction(s, async (tx) => {
      await store.lockMemberships(tx, s.orgId);
      const before = await store.getMember(tx, id, true);
      if (!before) throw notFound('member');
      const role = await this.access.roleInTx(tx, before.role_id);
      if (role && before.user_id !== ctx.principal.userId) this.access.assertCanAssign(ctx.principal, role);
      await store.deleteMembership(tx, id);
      if (before.role_key === 'org_admin' && (await store.countActiveAdmins(tx)) === 0) {
        throw new AppError('conflict', TENANCY.lastAdmin());
      }
      await this.audit.record(tx, {
        orgId: s.orgId,
        actor: actorOf(ctx),
        action: 'member.remove',
        resourceType: 'membership',
        resourceId: id,
        events: [{ type: 'member.removed', payload: { id: before.user_id } }],
        changes: { role: { before: before.role_name, after: null } },
        metadata: { userId: before.user_id, email: before.email },
        meta: ctx.meta,
      });
    });
  }
}
