// Departments: a tree per organization. Moves are serialised per organization and refused when
// they would create a cycle; a department with sub-departments cannot be deleted.
import { newId } from '../../platform/db/ids.ts';
import type { Db, Sql } from '../../platform/db/transaction.ts';
import { AppError, invalidField, notFound } from '../../platform/errors.ts';
import { assertVersion } from '../../platform/http/preconditions.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import { COMMON } from '../../platform/i18n/common-messages.ts';
import { resourceName } from '../../platform/i18n/resource-names.ts';
import { type AuditService, actorOf, diff } from '../audit/service.ts';
import { TENANCY } from './messages.ts';
import type { DepartmentDto } from './schemas.ts';
import * as store from './store.ts';

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

export class DepartmentService {
  private readonly db: Db;
  private readonly audit: AuditService;

  constructor(deps: { db: Db; audit: AuditService }) {
    this.db = deps.db;
    this.audit = deps.audit;
  }

  /** Whether a department exists in the organization the transaction acts for. */
  async exists(tx: Sql, id: string): Promise<boolean> {
    return (await store.getDepartment(tx, id)) !== null;
  }

  async departmentTree(ctx: CallContext): Promise<DepartmentDto[]> {
    const s = tenantScope(ctx);
    return (await this.db.transaction(s, (tx) => store.departmentTree(tx))).map(departmentToDto);
  }

  async getDepartment(ctx: CallContext, id: string): Promise<DepartmentDto> {
    const s = tenantScope(ctx);
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
    const s = tenantScope(ctx);
    return this.db.transaction(s, async (tx) => {
      await store.lockDepartments(tx, s.orgId);
      if (body.parentId && !(await store.getDepartment(tx, body.parentId))) {
        throw invalidField('parentId', 'exists', COMMON.noSuch({ what: resourceName('department') }));
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
    const s = tenantScope(ctx);
    return this.db.transaction(s, async (tx) => {
      await store.lockDepartments(tx, s.orgId);
      const before = await store.getDepartment(tx, id, true);
      if (!before) throw notFound('department');
      assertVersion(before.version, expectedVersion, 'department');
      if (body.parentId) {
        if (!(await store.getDepartment(tx, body.parentId)))
          throw invalidField('parentId', 'exists', COMMON.noSuch({ what: resourceName('department') }));
        if (await store.isSelfOrDescendant(tx, id, body.parentId)) {
          throw new AppError('conflict', TENANCY.departmentCycle());
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
    const s = tenantScope(ctx);
    await this.db.transaction(s, async (tx) => {
      await store.lockDepartments(tx, s.orgId);
      const before = await store.getDepartment(tx, id, true);
      if (!before) throw notFound('department');
      if (await store.hasChildDepartments(tx, id))
        throw new AppError('conflict', TENANCY.departmentHasChildren());
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
}
