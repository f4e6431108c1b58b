// SQL for projects, milestones and expenses. Project reads carry the figures derived from their
// children (spent, task counts) so budget and progress are computed by the database.
import { Conditions, keysetList, type SortKey } from '../../platform/db/keyset-list.ts';
import type { Sql } from '../../platform/db/transaction.ts';
import type { PageOf } from '../../platform/http/pagination.ts';
import type { ProjectListQueryType } from './project-schemas.ts';
import type { ProjectStatus } from './transitions.ts';

export interface ProjectRow {
  [key: string]: unknown;
  id: string;
  name: string;
  description: string;
  status: ProjectStatus;
  client_id: string | null;
  owner_id: string | null;
  department_id: string | null;
  tags: string[];
  budget_minor: number | null;
  currency: string;
  start_date: string | null;
  due_date: string | null;
  progress_override: number | null;
  completed_at: Date | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export interface ProjectFigures {
  spent_minor: number;
  tasks_total: number;
  tasks_pending: number;
  tasks_active: number;
  tasks_completed: number;
  tasks_cancelled: number;
}

export type ProjectWithFigures = ProjectRow & ProjectFigures;

const PROJECT_COLUMNS = `p.id, p.name, p.description, p.status, p.client_id, p.owner_id, p.department_id,
  p.tags, p.budget_minor, p.currency, p.start_date, p.due_date, p.progress_override, p.completed_at,
  p.created_at, p.updated_at, p.version`;

const FIGURES = `coalesce(e.spent, 0)::bigint AS spent_minor, coalesce(tc.total, 0)::int AS tasks_total,
  coalesce(tc.pending, 0)::int AS tasks_pending, coalesce(tc.active, 0)::int AS tasks_active,
  coalesce(tc.completed, 0)::int AS tasks_completed, coalesce(tc.cancelled, 0)::int AS tasks_cancelled`;

const FIGURES_FROM = `projects p
  LEFT JOIN LATERAL (SELECT sum(x.amount_minor) AS spent FROM project_expenses x
                     WHERE x.org_id = p.org_id AND x.project_id = p.id) e ON true
  LEFT JOIN LATERAL (SELECT count(*) AS total,
                            count(*) FILTER (WHERE t.status = 'pending') AS pending,
                            count(*) FILTER (WHERE t.status = 'active') AS active,
                            count(*) FILTER (WHERE t.status = 'completed') AS completed,
                            count(*) FILTER (WHERE t.status = 'cancelled') AS cancelled
                     FROM tasks t WHERE t.org_id = p.org_id AND t.project_id = p.id) tc ON true`;

export const PROJECT_EDITABLE = [
  'name',
  'description',
  'status',
  'client_id',
  'owner_id',
  'department_id',
  'tags',
  'budget_minor',
  'currency',
  'start_date',
  'due_date',
  'progress_override',
] as const;
export type ProjectFields = Pick<ProjectRow, (typeof PROJECT_EDITABLE)[number]>;

/** A new project; `completedAt` must be set exactly when the status is completed (a CHECK says so). */
export async function insertProject(
  sql: Sql,
  orgId: string,
  id: string,
  f: ProjectFields,
  completedAt: Date | null = null,
): Promise<void> {
  await sql.query(
    `INSERT INTO projects (org_id, id, name, description, status, client_id, owner_id, department_id, tags,
       budget_minor, currency, start_date, due_date, progress_override, completed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
    [
      orgId,
      id,
      f.name,
      f.description,
      f.status,
      f.client_id,
      f.owner_id,
      f.department_id,
      f.tags,
      f.budget_minor,
      f.currency,
      f.start_date,
      f.due_date,
      f.progress_override,
      completedAt,
    ],
  );
}

export async function getProject(sql: Sql, id: string): Promise<ProjectWithFigures | null> {
  const { rows } = await sql.query<ProjectWithFigures>(
    `SELECT ${PROJECT_COLUMNS}, ${FIGURES} FROM ${FIGURES_FROM} WHERE p.id = $1`,
    [id],
  );
  return rows[0] ?? null;
}

/** The bare row, locked for an update in this transaction. */
export async function lockProject(sql: Sql, id: string): Promise<ProjectRow | null> {
  const { rows } = await sql.query<ProjectRow>(
    `SELECT ${PROJECT_COLUMNS} FROM projects p WHERE p.id = $1 FOR UPDATE`,
    [id],
  );
  return rows[0] ?? null;
}

export async function projectExists(sql: Sql, id: string): Promise<boolean> {
  const { rowCount } = await sql.query('SELECT 1 FROM projects WHERE id = $1', [id]);
  return rowCount === 1;
}

/** Applies changed fields; completed_at follows the status (set on completion, cleared on leaving it). */
export async function updateProject(sql: Sql, id: string, f: Partial<ProjectFields>): Promise<void> {
  const keys = Object.keys(f) as (keyof ProjectFields)[];
  const sets = keys.map((k, i) => `${k} = $${i + 2}`);
  if (f.status !== undefined)
    sets.push(`completed_at = CASE WHEN $${keys.indexOf('status') + 2} = 'completed' THEN now() END`);
  await sql.query(`UPDATE projects SET ${sets.join(', ')} WHERE id = $1`, [id, ...keys.map((k) => f[k])]);
}

export async function deleteProject(sql: Sql, id: string): Promise<void> {
  await sql.query('DELETE FROM projects WHERE id = $1', [id]);
}

const PROJECT_SORT_KEYS: Record<string, SortKey> = {
  createdAt: { expr: 'p.created_at', type: 'timestamptz' },
  updatedAt: { expr: 'p.updated_at', type: 'timestamptz' },
  name: { expr: 'lower(p.name)', type: 'text' },
  dueDate: { expr: "coalesce(p.due_date, 'infinity'::date)", type: 'date' },
};

function projectFilter(q: Omit<ProjectListQueryType, 'limit' | 'cursor' | 'sort'>): Conditions {
  const w = new Conditions();
  if (q.status) w.add(`p.status = ${w.param(q.status)}`);
  if (q.clientId) w.add(`p.client_id = ${w.param(q.clientId)}`);
  if (q.ownerId) w.add(`p.owner_id = ${w.param(q.ownerId)}`);
  if (q.departmentId) w.add(`p.department_id = ${w.param(q.departmentId)}`);
  if (q.tag) w.add(`p.tags @> ARRAY[${w.param(q.tag)}]::text[]`);
  if (q.dueBefore) w.add(`p.due_date <= ${w.param(q.dueBefore)}`);
  if (q.dueAfter) w.add(`p.due_date >= ${w.param(q.dueAfter)}`);
  if (q.q) w.add(`p.search @@ websearch_to_tsquery('simple', ${w.param(q.q)})`);
  return w;
}

export function listProjects(sql: Sql, q: ProjectListQueryType): Promise<PageOf<ProjectWithFigures>> {
  return keysetList<ProjectWithFigures, ProjectWithFigures>(sql, {
    select: `${PROJECT_COLUMNS}, ${FIGURES}`,
    from: FIGURES_FROM,
    idExpr: 'p.id',
    where: projectFilter(q),
    sorts: PROJECT_SORT_KEYS,
    sort: q.sort ?? '-createdAt',
    limit: q.limit ?? 50,
    cursor: q.cursor,
    map: (r) => r,
  });
}

export function projectExportQuery(q: Omit<ProjectListQueryType, 'limit' | 'cursor' | 'sort'>): {
  text: string;
  values: unknown[];
} {
  const w = projectFilter(q);
  return {
    text: `SELECT ${PROJECT_COLUMNS}, ${FIGURES}, cl.name AS client_name, u.email AS owner_email FROM ${FIGURES_FROM}
      LEFT JOIN clients cl ON cl.org_id = p.org_id AND cl.id = p.client_id LEFT JOIN users u ON u.id = p.owner_id
      WHERE ${w.sql()} ORDER BY p.created_at, p.id`,
    values: w.params,
  };
}

// ---- milestones --------------------------------------------------------------------------------

export interface MilestoneRow {
  id: string;
  project_id: string;
  name: string;
  due_date: string | null;
  done_at: Date | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export async function insertMilestone(
  sql: Sql,
  m: { orgId: string; id: string; projectId: string; name: string; dueDate: string | null; done: boolean },
): Promise<MilestoneRow> {
  const { rows } = await sql.query<MilestoneRow>(
    `INSERT INTO project_milestones (org_id, id, project_id, name, due_date, done_at)
     VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 THEN now() END) RETURNING *`,
    [m.orgId, m.id, m.projectId, m.name, m.dueDate, m.done],
  );
  return rows[0]!;
}

export async function listMilestones(sql: Sql, projectId: string): Promise<MilestoneRow[]> {
  const { rows } = await sql.query<MilestoneRow>(
    `SELECT * FROM project_milestones WHERE project_id = $1 ORDER BY due_date NULLS LAST, id`,
    [projectId],
  );
  return rows;
}

export async function getMilestone(sql: Sql, projectId: string, id: string): Promise<MilestoneRow | null> {
  const { rows } = await sql.query<MilestoneRow>(
    'SELECT * FROM project_milestones WHERE project_id = $1 AND id = $2 FOR UPDATE',
    [projectId, id],
  );
  return rows[0] ?? null;
}

export async function updateMilestone(
  sql: Sql,
  id: string,
  f: { name?: string; dueDate?: string | null; done?: boolean },
): Promise<MilestoneRow> {
  const { rows } = await sql.query<MilestoneRow>(
    `UPDATE project_milestones SET name = coalesce($2, name),
       due_date = CASE WHEN $3 THEN $4::date ELSE due_date END,
       done_at = CASE WHEN $5::boolean IS NULL THEN done_at WHEN $5 THEN coalesce(done_at, now()) END
     WHERE id = $1 RETURNING *`,
    [id, f.name ?? null, f.dueDate !== undefined, f.dueDate ?? null, f.done ?? null],
  );
  return rows[0]!;
}

export async function deleteMilestone(sql: Sql, id: string): Promise<void> {
  await sql.query('DELETE FROM project_milestones WHERE id = $1', [id]);
}

// ---- expenses ----------------------------------------------------------------------------------

export interface ExpenseRow {
  id: string;
  project_id: string;
  spent_on: string;
  amount_minor: number;
  currency: string;
  category: string;
  note: string;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export const EXPENSE_EDITABLE = ['spent_on', 'amount_minor', 'currency', 'category', 'note'] as const;

export async function insertExpense(
  sql: Sql,
  e: {
    orgId: string;
    id: string;
    projectId: string;
    spentOn: string;
    amountMinor: number;
    currency: string;
    category: string;
    note: string;
    createdBy: string;
  },
): Promise<ExpenseRow> {
  const { rows } = await sql.query<ExpenseRow>(
    `INSERT INTO project_expenses (org_id, id, project_id, spent_on, amount_minor, currency, category, note, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
    [e.orgId, e.id, e.projectId, e.spentOn, e.amountMinor, e.currency, e.category, e.note, e.createdBy],
  );
  return rows[0]!;
}

export async function listExpenses(sql: Sql, projectId: string): Promise<ExpenseRow[]> {
  const { rows } = await sql.query<ExpenseRow>(
    'SELECT * FROM project_expenses WHERE project_id = $1 ORDER BY spent_on DESC, id DESC',
    [projectId],
  );
  return rows;
}

export async function getExpense(sql: Sql, projectId: string, id: string): Promise<ExpenseRow | null> {
  const { rows } = await sql.query<ExpenseRow>(
    'SELECT * FROM project_expenses WHERE project_id = $1 AND id = $2 FOR UPDATE',
    [projectId, id],
  );
  return rows[0] ?? null;
}

export async function updateExpense(
  sql: Sql,
  id: string,
  f: Partial<Pick<ExpenseRow, 'spent_on' | 'amount_minor' | 'category' | 'note'>>,
): Promise<ExpenseRow> {
  const keys = Object.keys(f) as (keyof typeof f)[];
  const { rows } = await sql.query<ExpenseRow>(
    `UPDATE project_expenses SET ${keys.map((k, i) => `${k} = $${i + 2}`).join(', ')} WHERE id = $1 RETURNING *`,
    [id, ...keys.map((k) => f[k])],
  );
  return rows[0]!;
}

/** Ids of projects by lower-cased name, for imports that name projects (several ids: ambiguous). */
export async function projectIdsByName(sql: Sql, names: string[]): Promise<Map<string, string[]>> {
  const { rows } = await sql.query<{ key: string; id: string }>(
    'SELECT lower(name) AS key, id FROM projects WHERE lower(name) = ANY($1::text[])',
    [names.map((n) => n.toLowerCase())],
  );
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.key, [...(out.get(r.key) ?? []), r.id]);
  return out;
}

export async function hasExpenses(sql: Sql, projectId: string): Promise<boolean> {
  const { rowCount } = await sql.query('SELECT 1 FROM project_expenses WHERE project_id = $1 LIMIT 1', [
    projectId,
  ]);
  return rowCount === 1;
}

export async function deleteExpense(sql: Sql, id: string): Promise<void> {
  await sql.query('DELETE FROM project_expenses WHERE id = $1', [id]);
}
