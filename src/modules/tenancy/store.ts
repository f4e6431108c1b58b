// SQL of the tenancy module. Every query runs inside a transaction whose app.org_id selects the
// organization; row-level security keeps other organizations' rows out even without a WHERE.
import type { Sql } from '../../platform/db/transaction.ts';

// ---- organizations and plans --------------------------------------------------------------------

export interface OrgRow {
  id: string;
  name: string;
  subdomain: string;
  plan_id: string;
  status: 'active' | 'suspended';
  require_mfa: boolean;
  timezone: string;
  locale: string;
  currency: string;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export interface PlanRow {
  id: string;
  name: string;
  max_users: number | null;
  max_api_requests_per_month: number | null;
  max_storage_bytes: number | null;
  price_minor: number;
  currency: string;
  sort_order: number;
}

export async function insertOrg(
  sql: Sql,
  o: { id: string; name: string; subdomain: string; planId: string },
): Promise<OrgRow> {
  const { rows } = await sql.query<OrgRow>(
    'INSERT INTO organizations (id, name, subdomain, plan_id) VALUES ($1, $2, $3, $4) RETURNING *',
    [o.id, o.name, o.subdomain, o.planId],
  );
  return rows[0]!;
}

export async function getOrg(sql: Sql, id: string, forUpdate = false): Promise<OrgRow | null> {
  const { rows } = await sql.query<OrgRow>(
    `SELECT * FROM organizations WHERE id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

export async function updateOrg(
  sql: Sql,
  id: string,
  f: Partial<{
    name: string;
    require_mfa: boolean;
    timezone: string;
    locale: string;
    currency: string;
    plan_id: string;
    status: string;
  }>,
): Promise<OrgRow> {
  const keys = Object.keys(f) as (keyof typeof f)[];
  const sets = keys.map((k, i) => `${k} = $${i + 2}`);
  const { rows } = await sql.query<OrgRow>(
    `UPDATE organizations SET ${sets.join(', ')} WHERE id = $1 RETURNING *`,
    [id, ...keys.map((k) => f[k])],
  );
  return rows[0]!;
}

export async function subdomainTaken(sql: Sql, subdomain: string): Promise<boolean> {
  const { rows } = await sql.query<{ taken: boolean }>('SELECT bul_subdomain_taken($1) AS taken', [
    subdomain,
  ]);
  return rows[0]?.taken ?? false;
}

export async function isTimezone(sql: Sql, name: string): Promise<boolean> {
  const { rowCount } = await sql.query('SELECT 1 FROM pg_timezone_names WHERE name = $1', [name]);
  return (rowCount ?? 0) > 0;
}

export async function listPlans(sql: Sql): Promise<PlanRow[]> {
  const { rows } = await sql.query<PlanRow>('SELECT * FROM plans ORDER BY sort_order, id');
  return rows;
}

export async function getPlan(sql: Sql, id: string): Promise<PlanRow | null> {
  const { rows } = await sql.query<PlanRow>('SELECT * FROM plans WHERE id = $1', [id]);
  return rows[0] ?? null;
}

export interface PlatformOrgRow {
  id: string;
  name: string;
  subdomain: string;
  plan_id: string;
  status: 'active' | 'suspended';
  members: number;
  created_at: Date;
}

/**
 * Every organization, or those whose name or subdomain contains `q` (the function itself refuses
 * anyone but a super admin). The filter applies to the function's answer: no index helps it, which
 * needs a search parameter inside bul_platform_organizations (a migration).
 */
export async function platformOrganizations(sql: Sql, q?: string): Promise<PlatformOrgRow[]> {
  const { rows } = await sql.query<PlatformOrgRow>(
    `SELECT * FROM bul_platform_organizations() o
     WHERE $1::text IS NULL OR o.name ILIKE '%' || $1 || '%' OR o.subdomain ILIKE '%' || $1 || '%'
     ORDER BY o.created_at, o.id`,
    [q ? q.replace(/[\\%_]/g, (c) => `\\${c}`) : null],
  );
  return rows;
}

/** A user's membership in one organization, as login and the organization switcher see it. */
export interface MyOrgRow {
  org_id: string;
  name: string;
  subdomain: string;
  org_status: 'active' | 'suspended';
  require_mfa: boolean;
  membership_id: string;
  membership_status: 'active' | 'suspended';
  role_id: string;
  role_key: string | null;
  role_name: string;
  ip_rules: { cidr: string; action: 'allow' | 'deny' }[];
}

/** The organizations of a user, with the role in each. */
export async function userOrganizations(sql: Sql, userId: string): Promise<MyOrgRow[]> {
  const { rows } = await sql.query<MyOrgRow>({
    name: 'bul_user_organizations',
    text: 'SELECT * FROM bul_user_organizations($1)',
    values: [userId],
  });
  return rows;
}

export async function orgIdBySubdomain(sql: Sql, subdomain: string): Promise<string | null> {
  const { rows } = await sql.query<{ id: string | null }>('SELECT bul_org_by_subdomain($1) AS id', [
    subdomain,
  ]);
  return rows[0]?.id ?? null;
}

// ---- memberships ------------------------------------------------------------------------------

export interface MemberRow {
  id: string;
  user_id: string;
  email: string;
  name: string;
  mfa_enabled: boolean;
  role_id: string;
  role_key: string | null;
  role_name: string;
  department_id: string | null;
  status: 'active' | 'suspended';
  created_at: Date;
  updated_at: Date;
  version: number;
}

const MEMBER_SELECT = `SELECT m.id, m.user_id, u.email, u.name, u.mfa_enabled, m.role_id, r.key AS role_key, r.name AS role_name,
    m.department_id, m.status, m.created_at, m.updated_at, m.version
  FROM memberships m
  JOIN users u ON u.id = m.user_id
  JOIN roles r ON r.org_id = m.org_id AND r.id = m.role_id`;

export async function insertMembership(
  sql: Sql,
  m: { orgId: string; id: string; userId: string; roleId: string; departmentId: string | null },
): Promise<void> {
  await sql.query(
    'INSERT INTO memberships (org_id, id, user_id, role_id, department_id) VALUES ($1, $2, $3, $4, $5)',
    [m.orgId, m.id, m.userId, m.roleId, m.departmentId],
  );
}

export interface MemberFilter {
  roleId?: string;
  departmentId?: string;
  status?: string;
  q?: string;
  userIds?: string[];
  afterId?: string;
  limit: number;
}

export async function listMembers(sql: Sql, f: MemberFilter): Promise<MemberRow[]> {
  const { rows } = await sql.query<MemberRow>(
    `${MEMBER_SELECT}
     WHERE ($1::uuid IS NULL OR m.role_id = $1) AND ($2::uuid IS NULL OR m.department_id = $2)
       AND ($3::text IS NULL OR m.status = $3)
       AND ($4::text IS NULL OR u.email ILIKE '%' || $4 || '%' OR u.name ILIKE '%' || $4 || '%')
       AND ($5::uuid IS NULL OR m.id > $5)
       AND ($7::uuid[] IS NULL OR m.user_id = ANY($7))
     ORDER BY m.id LIMIT $6`,
    [
      f.roleId ?? null,
      f.departmentId ?? null,
      f.status ?? null,
      f.q ? f.q.replace(/[\\%_]/g, (c) => `\\${c}`) : null,
      f.afterId ?? null,
      f.limit + 1,
      f.userIds ?? null,
    ],
  );
  return rows;
}

export async function getMember(sql: Sql, id: string, forUpdate = false): Promise<MemberRow | null> {
  const { rows } = await sql.query<MemberRow>(
    `${MEMBER_SELECT} WHERE m.id = $1 ${forUpdate ? 'FOR UPDATE OF m' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

export async function memberByUser(sql: Sql, userId: string): Promise<MemberRow | null> {
  const { rows } = await sql.query<MemberRow>(`${MEMBER_SELECT} WHERE m.user_id = $1`, [userId]);
  return rows[0] ?? null;
}

export async function memberUserIdsByEmail(sql: Sql, emails: string[]): Promise<Map<string, string>> {
  const { rows } = await sql.query<{ email: string; user_id: string }>(
    `SELECT lower(u.email) AS email, m.user_id FROM memberships m JOIN users u ON u.id = m.user_id
     WHERE lower(u.email) = ANY($1::text[])`,
    [emails.map((e) => e.toLowerCase())],
  );
  return new Map(rows.map((r) => [r.email, r.user_id]));
}

export async function updateMembership(
  sql: Sql,
  id: string,
  f: { roleId?: string; departmentId?: string | null; status?: string },
): Promise<void> {
  await sql.query(
    `UPDATE memberships SET role_id = coalesce($2, role_id),
       department_id = CASE WHEN $3 THEN $4::uuid ELSE department_id END,
       status = coalesce($5, status)
     WHERE id = $1`,
    [id, f.roleId ?? null, f.departmentId !== undefined, f.departmentId ?? null, f.status ?? null],
  );
}

export async function deleteMembership(sql: Sql, id: string): Promise<void> {
  await sql.query('DELETE FROM memberships WHERE id = $1', [id]);
}

export async function countMembers(sql: Sql): Promise<number> {
  const { rows } = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM memberships');
  return rows[0]?.n ?? 0;
}

/** Active members holding the built-in org_admin role. */
export async function countActiveAdmins(sql: Sql): Promise<number> {
  const { rows } = await sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM memberships m JOIN roles r ON r.org_id = m.org_id AND r.id = m.role_id
     WHERE r.key = 'org_admin' AND m.status = 'active'`,
  );
  return rows[0]?.n ?? 0;
}

/** Serialises membership changes within one organization (last-admin and quota checks). */
export async function lockMemberships(sql: Sql, orgId: string): Promise<void> {
  await sql.query(`SELECT pg_advisory_xact_lock(hashtext('bul:memberships:' || $1))`, [orgId]);
}

// ---- invitations ------------------------------------------------------------------------------

export interface InvitationRow {
  org_id: string;
  id: string;
  email: string;
  role_id: string;
  role_name: string;
  department_id: string | null;
  invited_by: string | null;
  expires_at: Date;
  accepted_at: Date | null;
  accepted_by: string | null;
  revoked_at: Date | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

const INVITATION_SELECT = `SELECT i.org_id, i.id, i.email, i.role_id, r.name AS role_name, i.department_id, i.invited_by, i.expires_at,
    i.accepted_at, i.accepted_by, i.revoked_at, i.created_at, i.updated_at, i.version
  FROM invitations i JOIN roles r ON r.org_id = i.org_id AND r.id = i.role_id`;

export async function insertInvitation(
  sql: Sql,
  i: {
    orgId: string;
    id: string;
    email: string;
    roleId: string;
    departmentId: string | null;
    tokenHash: string;
    invitedBy: string;
    expiresAt: Date;
  },
): Promise<void> {
  await sql.query(
    `INSERT INTO invitations (org_id, id, email, role_id, department_id, token_hash, invited_by, expires_at)
     VALUES ($1, $2, lower($3), $4, $5, $6, $7, $8)`,
    [i.orgId, i.id, i.email, i.roleId, i.departmentId, i.tokenHash, i.invitedBy, i.expiresAt],
  );
}

export async function getInvitation(sql: Sql, id: string, forUpdate = false): Promise<InvitationRow | null> {
  const { rows } = await sql.query<InvitationRow>(
    `${INVITATION_SELECT} WHERE i.id = $1 ${forUpdate ? 'FOR UPDATE OF i' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

export async function listInvitations(
  sql: Sql,
  f: { status?: string; afterId?: string; limit: number },
): Promise<InvitationRow[]> {
  const { rows } = await sql.query<InvitationRow>(
    `${INVITATION_SELECT}
     WHERE ($1::text IS NULL
        OR ($1 = 'open' AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now())
        OR ($1 = 'accepted' AND i.accepted_at IS NOT NULL)
        OR ($1 = 'revoked' AND i.revoked_at IS NOT NULL)
        OR ($1 = 'expired' AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at <= now()))
       AND ($2::uuid IS NULL OR i.id < $2)
     ORDER BY i.id DESC LIMIT $3`,
    [f.status ?? null, f.afterId ?? null, f.limit + 1],
  );
  return rows;
}

export async function countOpenInvitations(sql: Sql): Promise<number> {
  const { rows } = await sql.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM invitations WHERE accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()',
  );
  return rows[0]?.n ?? 0;
}

export async function revokeInvitation(sql: Sql, id: string): Promise<void> {
  await sql.query('UPDATE invitations SET revoked_at = now() WHERE id = $1', [id]);
}

/** Open invitations to an e-mail that has expired are closed so a new one can be sent. */
export async function revokeExpiredInvitationsFor(sql: Sql, email: string): Promise<void> {
  await sql.query(
    `UPDATE invitations SET revoked_at = now()
     WHERE lower(email) = lower($1) AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at <= now()`,
    [email],
  );
}

export async function markInvitationAccepted(sql: Sql, id: string, userId: string): Promise<void> {
  await sql.query('UPDATE invitations SET accepted_at = now(), accepted_by = $2 WHERE id = $1', [id, userId]);
}

export async function invitationByToken(
  sql: Sql,
  tokenHash: string,
): Promise<{ org_id: string; id: string } | null> {
  const { rows } = await sql.query<{ org_id: string; id: string }>(
    'SELECT * FROM bul_invitation_by_token($1)',
    [tokenHash],
  );
  return rows[0] ?? null;
}

// ---- departments ------------------------------------------------------------------------------

export interface DepartmentRow {
  id: string;
  parent_id: string | null;
  name: string;
  description: string;
  created_at: Date;
  updated_at: Date;
  version: number;
  depth?: number;
  path?: string[];
  members?: number;
}

export async function insertDepartment(
  sql: Sql,
  d: { orgId: string; id: string; parentId: string | null; name: string; description: string },
): Promise<DepartmentRow> {
  const { rows } = await sql.query<DepartmentRow>(
    `INSERT INTO departments (org_id, id, parent_id, name, description) VALUES ($1, $2, $3, $4, $5)
     RETURNING id, parent_id, name, description, created_at, updated_at, version`,
    [d.orgId, d.id, d.parentId, d.name, d.description],
  );
  return rows[0]!;
}

/** The whole tree in depth-first order, with each department's depth, ancestor path and head count. */
export async function departmentTree(sql: Sql): Promise<DepartmentRow[]> {
  const { rows } = await sql.query<DepartmentRow>(
    `WITH RECURSIVE tree AS (
       SELECT d.*, 0 AS depth, ARRAY[d.id] AS path, ARRAY[lower(d.name) || d.id::text] AS sort_key
       FROM departments d WHERE d.parent_id IS NULL
       UNION ALL
       SELECT c.*, t.depth + 1, t.path || c.id, t.sort_key || (lower(c.name) || c.id::text)
       FROM departments c JOIN tree t ON c.org_id = t.org_id AND c.parent_id = t.id
     )
     SELECT t.id, t.parent_id, t.name, t.description, t.created_at, t.updated_at, t.version, t.depth,
            t.path[1:array_length(t.path, 1) - 1]::text[] AS path,
            (SELECT count(*)::int FROM memberships m WHERE m.org_id = t.org_id AND m.department_id = t.id) AS members
     FROM tree t ORDER BY t.sort_key`,
  );
  return rows;
}

export async function getDepartment(sql: Sql, id: string, forUpdate = false): Promise<DepartmentRow | null> {
  const { rows } = await sql.query<DepartmentRow>(
    `SELECT id, parent_id, name, description, created_at, updated_at, version FROM departments WHERE id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

/** Whether `candidate` is `id` itself or lies below it (moving id under it would make a cycle). */
export async function isSelfOrDescendant(sql: Sql, id: string, candidate: string): Promise<boolean> {
  const { rows } = await sql.query<{ found: boolean }>(
    `WITH RECURSIVE below AS (
       SELECT id FROM departments WHERE id = $1
       UNION ALL
       SELECT d.id FROM departments d JOIN below b ON d.parent_id = b.id
     ) SELECT EXISTS (SELECT 1 FROM below WHERE id = $2) AS found`,
    [id, candidate],
  );
  return rows[0]?.found ?? false;
}

export async function updateDepartment(
  sql: Sql,
  id: string,
  f: { name?: string; description?: string; parentId?: string | null },
): Promise<DepartmentRow> {
  const { rows } = await sql.query<DepartmentRow>(
    `UPDATE departments SET name = coalesce($2, name), description = coalesce($3, description),
       parent_id = CASE WHEN $4 THEN $5::uuid ELSE parent_id END
     WHERE id = $1 RETURNING id, parent_id, name, description, created_at, updated_at, version`,
    [id, f.name ?? null, f.description ?? null, f.parentId !== undefined, f.parentId ?? null],
  );
  return rows[0]!;
}

export async function hasChildDepartments(sql: Sql, id: string): Promise<boolean> {
  const { rowCount } = await sql.query('SELECT 1 FROM departments WHERE parent_id = $1 LIMIT 1', [id]);
  return (rowCount ?? 0) > 0;
}

export async function deleteDepartment(sql: Sql, id: string): Promise<void> {
  await sql.query('DELETE FROM departments WHERE id = $1', [id]);
}

export async function lockDepartments(sql: Sql, orgId: string): Promise<void> {
  await sql.query(`SELECT pg_advisory_xact_lock(hashtext('bul:departments:' || $1))`, [orgId]);
}

// ---- IP rules ---------------------------------------------------------------------------------

export interface IpRuleRow {
  id: string;
  cidr: string;
  action: 'allow' | 'deny';
  note: string;
  created_at: Date;
  updated_at: Date;
  version: number;
}

const IP_RULE_COLUMNS = 'id, cidr::text AS cidr, action, note, created_at, updated_at, version';

export async function listIpRules(sql: Sql, platform: boolean): Promise<IpRuleRow[]> {
  const { rows } = await sql.query<IpRuleRow>(
    `SELECT ${IP_RULE_COLUMNS} FROM ${platform ? 'platform_ip_rules' : 'ip_rules'} ORDER BY action, cidr, id`,
  );
  return rows;
}

export async function insertIpRule(
  sql: Sql,
  r: { orgId: string | null; id: string; cidr: string; action: string; note: string },
): Promise<IpRuleRow> {
  const { rows } = r.orgId
    ? await sql.query<IpRuleRow>(
        `INSERT INTO ip_rules (org_id, id, cidr, action, note) VALUES ($1, $2, $3::cidr, $4, $5) RETURNING ${IP_RULE_COLUMNS}`,
        [r.orgId, r.id, r.cidr, r.action, r.note],
      )
    : await sql.query<IpRuleRow>(
        `INSERT INTO platform_ip_rules (id, cidr, action, note) VALUES ($1, $2::cidr, $3, $4) RETURNING ${IP_RULE_COLUMNS}`,
        [r.id, r.cidr, r.action, r.note],
      );
  return rows[0]!;
}

export async function deleteIpRule(sql: Sql, id: string, platform: boolean): Promise<IpRuleRow | null> {
  const { rows } = await sql.query<IpRuleRow>(
    `DELETE FROM ${platform ? 'platform_ip_rules' : 'ip_rules'} WHERE id = $1 RETURNING ${IP_RULE_COLUMNS}`,
    [id],
  );
  return rows[0] ?? null;
}

// ---- usage counters ---------------------------------------------------------------------------

export async function addUsage(
  sql: Sql,
  orgId: string,
  metric: 'api_requests' | 'storage_bytes',
  period: string,
  amount: number,
): Promise<void> {
  await sql.query(
    `INSERT INTO usage_counters (org_id, metric, period, value) VALUES ($1, $2, $3, $4)
     ON CONFLICT (org_id, metric, period) DO UPDATE SET value = usage_counters.value + EXCLUDED.value, updated_at = now()`,
    [orgId, metric, period, amount],
  );
}

/** Creates the counter row if needed and locks it, serialising concurrent reservations. */
export async function lockUsage(
  sql: Sql,
  orgId: string,
  metric: 'api_requests' | 'storage_bytes',
  period: string,
): Promise<void> {
  await sql.query(
    `INSERT INTO usage_counters (org_id, metric, period, value) VALUES ($1, $2, $3, 0)
     ON CONFLICT (org_id, metric, period) DO NOTHING`,
    [orgId, metric, period],
  );
  await sql.query('SELECT 1 FROM usage_counters WHERE metric = $1 AND period = $2 FOR UPDATE', [
    metric,
    period,
  ]);
}

export async function getUsage(
  sql: Sql,
  metric: 'api_requests' | 'storage_bytes',
  period: string,
): Promise<number> {
  const { rows } = await sql.query<{ value: number }>(
    'SELECT value FROM usage_counters WHERE metric = $1 AND period = $2',
    [metric, period],
  );
  return rows[0]?.value ?? 0;
}
