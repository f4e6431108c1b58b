// Roles and permissions: the built-in roles every organization starts with, custom roles an
// organization defines from the catalogue, and the permission check every route goes through.
import { newId } from '../../platform/db/ids.ts';
import type { Db, Sql } from '../../platform/db/transaction.ts';
import { AppError, invalidField, notFound } from '../../platform/errors.ts';
import { assertVersion } from '../../platform/http/preconditions.ts';
import { type CallContext, type Principal, tenantScope } from '../../platform/http/request-context.ts';
import { type AuditService, actorOf, diff } from '../audit/service.ts';
import {
  BUILTIN_ROLE_KEYS,
  BUILTIN_ROLES,
  type BuiltinRoleKey,
  isPermission,
  PERMISSIONS,
  type Permission,
  PLATFORM_PERMISSIONS,
  rolePermissions,
  SUPER_ADMIN,
} from './catalogue.ts';
import { ACCESS } from './messages.ts';
import type { RoleDto } from './schemas.ts';
import * as store from './store.ts';

/**
 * The keys of the built-in roles that hold a permission. Built-in roles follow the code (their
 * stored list is empty for organizations created since), so a query for "members holding P" asks
 * for these keys, and the stored list of custom roles only.
 */
export function builtinRolesHolding(permission: string): { holding: string[]; all: string[] } {
  return {
    holding: BUILTIN_ROLE_KEYS.filter((k) =>
      (BUILTIN_ROLES[k].permissions as readonly string[]).includes(permission),
    ),
    all: [...BUILTIN_ROLE_KEYS],
  };
}

export function roleToDto(r: store.RoleRow): RoleDto {
  return {
    id: r.id,
    key: r.key,
    name: r.name,
    description: r.description,
    builtin: r.key !== null,
    permissions: rolePermissions(r).sort(),
    members: r.members ?? 0,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    version: r.version,
  };
}

/** The permissions a principal holds, from its role, API-key scopes and super-admin flag. */
export function effectivePermissions(input: {
  isSuperAdmin: boolean;
  role: { key: string | null; permissions: readonly string[] } | null;
  membershipActive: boolean;
  apiKeyScopes: readonly string[] | null;
}): Set<string> {
  let perms: string[] = input.isSuperAdmin
    ? [...SUPER_ADMIN.permissions]
    : input.role && input.membershipActive
      ? rolePermissions(input.role)
      : [];
  if (input.apiKeyScopes) {
    const scopes = new Set(input.apiKeyScopes);
    perms = perms.filter((p) => scopes.has(p));
  }
  return new Set(perms);
}

/**
 * Checks a list of permissions someone wants to hand out (in a role, or as an API key's scopes):
 * each is in the catalogue, none is platform-only, and the actor holds every one.
 */
export function assertGrantable(
  list: readonly string[],
  actor: Principal,
  field = 'permissions',
): Permission[] {
  const unknown = list.filter((p) => !isPermission(p));
  if (unknown.length > 0)
    throw invalidField(
      field,
      'permissionCatalogue',
      ACCESS.unknownPermissions({ permissions: unknown.join(', ') }),
    );
  const platform = list.filter((p) => PLATFORM_PERMISSIONS.includes(p as Permission));
  if (platform.length > 0)
    throw invalidField(
      field,
      'platformPermission',
      ACCESS.platformPermissions({ permissions: platform.join(', ') }),
    );
  // Nobody hands out more than they hold.
  const beyond = list.filter((p) => !actor.permissions.has(p));
  if (beyond.length > 0) throw new AppError('forbidden', ACCESS.notHeld({ permissions: beyond.join(', ') }));
  return list as Permission[];
}

export class AccessService {
  private readonly db: Db;
  private readonly audit: AuditService;

  constructor(db: Db, audit: AuditService) {
    this.db = db;
    this.audit = audit;
  }

  catalogue() {
    return {
      permissions: Object.entries(PERMISSIONS).map(([name, description]) => ({
        name,
        description,
        platformOnly: PLATFORM_PERMISSIONS.includes(name as Permission),
      })),
      builtinRoles: [
        {
          key: 'super_admin',
          name: SUPER_ADMIN.name,
          description: SUPER_ADMIN.description,
          permissions: [...SUPER_ADMIN.permissions],
        },
        ...BUILTIN_ROLE_KEYS.map((key) => ({
          key,
          ...BUILTIN_ROLES[key],
          permissions: [...BUILTIN_ROLES[key].permissions],
        })),
      ],
    };
  }

  /** Copies the built-in roles into a new organization (inside its creating transaction). */
  async createBuiltinRoles(tx: Sql, orgId: string): Promise<Record<BuiltinRoleKey, string>> {
    const ids = {} as Record<BuiltinRoleKey, string>;
    for (const key of BUILTIN_ROLE_KEYS) {
      const role = BUILTIN_ROLES[key];
      const row = await store.insertRole(tx, {
        orgId,
        id: newId(),
        key,
        name: role.name,
        description: role.description,
        permissions: [],
      });
      ids[key] = row.id;
    }
    return ids;
  }

  /** A role of the organization in the transaction's context (for members and invitations). */
  async roleInTx(tx: Sql, id: string): Promise<store.RoleRow | null> {
    return store.getRole(tx, id);
  }

  async roleByKeyInTx(tx: Sql, key: BuiltinRoleKey): Promise<store.RoleRow | null> {
    return store.getRoleByKey(tx, key);
  }

  /** Throws unless the actor may hand out this role (it carries nothing the actor lacks). */
  assertCanAssign(actor: Principal, role: store.RoleRow): void {
    const beyond = rolePermissions(role).filter((p) => !actor.permissions.has(p));
    if (beyond.length > 0) {
      throw new AppError(
        'forbidden',
        ACCESS.roleBeyondYou({ role: role.name, permissions: beyond.join(', ') }),
      );
    }
  }

  async list(ctx: CallContext): Promise<RoleDto[]> {
    const rows = await this.db.transaction(tenantScope(ctx), (tx) => store.listRoles(tx));
    return rows.map(roleToDto);
  }

  async get(ctx: CallContext, id: string): Promise<RoleDto> {
    const row = await this.db.transaction(tenantScope(ctx), (tx) => store.getRole(tx, id));
    if (!row) throw notFound('role');
    return roleToDto(row);
  }

  async create(
    ctx: CallContext,
    body: { name: string; description?: string; permissions: string[] },
  ): Promise<RoleDto> {
    const { orgId } = tenantScope(ctx);
    const permissions = assertGrantable(body.permissions, ctx.principal);
    return this.db.transaction({ orgId, userId: ctx.principal.userId }, async (tx) => {
      const row = await store.insertRole(tx, {
        orgId,
        id: newId(),
        key: null,
        name: body.name,
        description: body.description ?? '',
        permissions: [...permissions].sort(),
      });
      await this.audit.record(tx, {
        orgId,
        actor: actorOf(ctx),
        action: 'role.create',
        resourceType: 'role',
        resourceId: row.id,
        changes: diff(null, row, ['name', 'description', 'permissions']),
        meta: ctx.meta,
      });
      return roleToDto(row);
    });
  }

  async update(
    ctx: CallContext,
    id: string,
    body: { name?: string; description?: string; permissions?: string[] },
    expectedVersion?: number,
  ): Promise<RoleDto> {
    const { orgId } = tenantScope(ctx);
    const permissions = body.permissions ? assertGrantable(body.permissions, ctx.principal) : undefined;
    return this.db.transaction({ orgId, userId: ctx.principal.userId }, async (tx) => {
      const before = await store.getRole(tx, id, true);
      if (!before) throw notFound('role');
      if (before.key !== null) throw new AppError('conflict', ACCESS.builtInUnchangeable());
      assertVersion(before.version, expectedVersion, 'role');
      const after = await store.updateRole(tx, id, {
        ...body,
        permissions: permissions ? [...permissions].sort() : undefined,
      });
      after.members = before.members;
      const changes = diff(before, after, ['name', 'description', 'permissions']);
      if (changes) {
        // What the role's members gained or lost: threat detection reads gains (escalation).
        const was = new Set(before.permissions);
        const is = new Set(after.permissions);
        const added = after.permissions.filter((p) => !was.has(p));
        const removed = before.permissions.filter((p) => !is.has(p));
        await this.audit.record(tx, {
          orgId,
          actor: actorOf(ctx),
          action: 'role.update',
          resourceType: 'role',
          resourceId: id,
          changes,
          events:
            added.length + removed.length > 0
              ? [{ type: 'role.permissions_changed', payload: { id, added, removed } }]
              : [],
          meta: ctx.meta,
        });
      }
      return roleToDto(after);
    });
  }

  async remove(ctx: CallContext, id: string): Promise<void> {
    const { orgId } = tenantScope(ctx);
    await this.db.transaction({ orgId, userId: ctx.principal.userId }, async (tx) => {
      const role = await store.getRole(tx, id, true);
      if (!role) throw notFound('role');
      if (role.key !== null) throw new AppError('conflict', ACCESS.builtInUndeletable());
      if ((role.members ?? 0) > 0)
        throw new AppError('conflict', ACCESS.roleInUse({ members: role.members ?? 0 }));
      // Invitations that offered the role go with it (foreign key ON DELETE CASCADE).
      await store.deleteRole(tx, id);
      await this.audit.record(tx, {
        orgId,
        actor: actorOf(ctx),
        action: 'role.delete',
        resourceType: 'role',
        resourceId: id,
        changes: diff(role, null, ['name', 'description', 'permissions']),
        meta: ctx.meta,
      });
    });
  }
}
