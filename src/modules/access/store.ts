// SQL for roles.
import type { Sql } from '../../platform/db/transaction.ts';

export interface RoleRow {
  org_id: string;
  id: string;
  key: string | null;
  name: string;
  description: string;
  permissions: string[];
  created_at: Date;
  updated_at: Date;
  version: number;
  members?: number;
}

export async function insertRole(
  sql: Sql,
  r: {
    orgId: string;
    id: string;
    key: string | null;
    name: string;
    description: string;
    permissions: string[];
  },
): Promise<RoleRow> {
  const { rows } = await sql.query<RoleRow>(
    `INSERT INTO roles (org_id, id, key, name, description, permissions) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
    [r.orgId, r.id, r.key, r.name, r.description, r.permissions],
  );
  return rows[0]!;
}

export async function listRoles(sql: Sql): Promise<RoleRow[]> {
  const { rows } = await sql.query<RoleRow>(
    `SELECT r.*, (SELECT count(*)::int FROM memberships m WHERE m.org_id = r.org_id AND m.role_id = r.id) AS members
     FROM roles r ORDER BY r.key IS NULL, r.created_at, r.id`,
  );
  return rows;
}

export async function getRole(sql: Sql, id: string, forUpdate = false): Promise<RoleRow | null> {
  const { rows } = await sql.query<RoleRow>(
    `SELECT r.*, (SELECT count(*)::int FROM memberships m WHERE m.org_id = r.org_id AND m.role_id = r.id) AS members
     FROM roles r WHERE r.id = $1 ${forUpdate ? 'FOR UPDATE OF r' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

export async function getRoleByKey(sql: Sql, key: string): Promise<RoleRow | null> {
  const { rows } = await sql.query<RoleRow>('SELECT * FROM roles WHERE key = $1', [key]);
  return rows[0] ?? null;
}

export async function updateRole(
  sql: Sql,
  id: string,
  f: { name?: string; description?: string; permissions?: string[] },
): Promise<RoleRow> {
  const { rows } = await sql.query<RoleRow>(
    `UPDATE roles SET name = coalesce($2, name), description = coalesce($3, description), permissions = coalesce($4, permissions)
     WHERE id = $1 RETURNING *`,
    [id, f.name ?? null, f.description ?? null, f.permissions ?? null],
  );
  return rows[0]!;
}

export async function deleteRole(sql: Sql, id: string): Promise<void> {
  await sql.query('DELETE FROM roles WHERE id = $1', [id]);
}
