// SQL of the analytics module. It only reads: the work and business tables, memberships and the
// audit trail, inside the caller's tenant transaction (row-level security scopes every read to the
// organization), plus the executive functions of 0003_analytics.sql, which check the caller
// themselves and may span every organization. Every figure is computed by the database.
import type { Sql } from '../../platform/db/transaction.ts';

export const PROJECT_STATUSES = ['planning', 'active', 'on_hold', 'completed', 'cancelled'] as const;
export type ProjectStatus = (typeof PROJECT_STATUSES)[number];

/**
 * The clock of a report: asOf's day in the time zone, and where windows of days begin. Windows of
 * N days are the N calendar days ending with asOf's day, from that first day's local midnight up
 * to asOf itself ($1 = asOf, $2 = time zone).
 */
const CLOCK = `clock AS (
  SELECT ($1::timestamptz AT TIME ZONE $2::text)::date AS today, $1::timestamptz AS as_of)`;
const windowStart = (days: number) =>
  `(((SELECT today FROM clock) - ${days - 1})::timestamp AT TIME ZONE $2::text)`;

// ---- dashboard ---------------------------------------------------------------------------------

export interface StatusCountRow {
  status: ProjectStatus;
  count: number;
}

/** Projects created by asOf, by their status at asOf (bul_project_status_at, migration 0011). */
export async function projectsByStatus(sql: Sql, asOf: Date): Promise<StatusCountRow[]> {
  const { rows } = await sql.query<StatusCountRow>(
    `SELECT s.status, count(p.id)::int AS count
     FROM unnest($1::text[]) WITH ORDINALITY s (status, ord)
     LEFT JOIN (SELECT p.id, bul_project_status_at(p.org_id, p.id, p.status, p.updated_at, $2) AS status
                FROM projects p WHERE p.created_at <= $2) p ON p.status = s.status
     GROUP BY s.status, s.ord ORDER BY s.ord`,
    [PROJECT_STATUSES, asOf],
  );
  return rows;
}

export interface WeekRow {
  week_start: string;
  iso_week: string;
  completed: number;
}

/** Tasks completed in each of the `weeks` ISO weeks (Monday first) ending with asOf's week. */
export async function tasksCompletedPerWeek(
  sql: Sql,
  asOf: Date,
  tz: string,
  weeks: number,
): Promise<WeekRow[]> {
  const { rows } = await sql.query<WeekRow>(
    `WITH ${CLOCK},
     w AS (SELECT (date_trunc('week', today::timestamp)::date - 7 * i) AS week_start
           FROM clock, generate_series(0, $3::int - 1) i),
     done AS (
       SELECT date_trunc('week', (t.completed_at AT TIME ZONE $2::text))::date AS week_start, count(*) AS n
       FROM tasks t
       WHERE t.completed_at IS NOT NULL
         AND t.completed_at >= ((SELECT min(week_start) FROM w)::timestamp AT TIME ZONE $2::text)
         AND t.completed_at <= $1::timestamptz
       GROUP BY 1)
     SELECT w.week_start::text AS week_start, to_char(w.week_start, 'IYYY-"W"IW') AS iso_week,
            coalesce(done.n, 0)::int AS completed
     FROM w LEFT JOIN done ON done.week_start = w.week_start
     ORDER BY w.week_start`,
    [asOf, tz, weeks],
  );
  return rows;
}

export interface OverdueRow {
  id: string;
  title: string;
  project_id: string;
  project_name: string;
  assignee_id: string | null;
  status: 'pending' | 'active';
  priority: 'low' | 'medium' | 'high' | 'urgent';
  due_date: string;
  days_overdue: number;
}

/** Open tasks due before today, except those of cancelled projects (nobody will do them). */
export async function overdueTasks(
  sql: Sql,
  asOf: Date,
  tz: string,
  limit: number,
): Promise<{ count: number; items: OverdueRow[] }> {
  const { rows } = await sql.query<OverdueRow & { total: number }>(
    `WITH ${CLOCK},
     o AS (SELECT t.id, t.title, t.project_id, t.assignee_id, t.status, t.priority, t.due_date FROM tasks t
           WHERE t.status IN ('pending', 'active') AND t.due_date < (SELECT today FROM clock)
             AND NOT EXISTS (SELECT 1 FROM projects p WHERE p.org_id = t.org_id AND p.id = t.project_id
                               AND p.status = 'cancelled'))
     SELECT o.id, o.title, o.project_id, p.name AS project_name, o.assignee_id, o.status, o.priority,
            o.due_date, ((SELECT today FROM clock) - o.due_date) AS days_overdue,
            (SELECT count(*) FROM o)::int AS total
     FROM (SELECT * FROM o ORDER BY o.due_date, o.id LIMIT $3) o
     JOIN projects p ON p.org_id = bul_current_org() AND p.id = o.project_id
     ORDER BY o.due_date, o.id`,
    [asOf, tz, limit],
  );
  // No row on the page means no overdue task at all.
  return { count: rows[0]?.total ?? 0, items: rows };
}

export interface ActivityRow {
  user_id: string;
  name: string;
  email: string;
  events: number;
  tasks_completed: number;
}

/** Per member: audit events they acted in the window, and tasks they completed in it (tasks.completed_by). */
export async function activityPerUser(
  sql: Sql,
  asOf: Date,
  tz: string,
  days: number,
  limit: number,
): Promise<ActivityRow[]> {
  const { rows } = await sql.query<ActivityRow>(
    `WITH ${CLOCK},
     ev AS (SELECT e.actor_id AS user_id, count(*) AS n FROM audit_events e
            WHERE e.org_id = bul_current_org() AND e.actor_type = 'user' AND e.outcome = 'success'
              AND e.created_at >= ${windowStart(days)} AND e.created_at <= $1::timestamptz
            GROUP BY e.actor_id),
     done AS (SELECT t.completed_by AS user_id, count(*) AS n FROM tasks t
              WHERE t.completed_by IS NOT NULL AND t.completed_at >= ${windowStart(days)}
                AND t.completed_at <= $1::timestamptz
              GROUP BY t.completed_by)
     SELECT m.user_id, u.name, u.email, coalesce(ev.n, 0)::int AS events, coalesce(done.n, 0)::int AS tasks_completed
     FROM memberships m
     JOIN users u ON u.id = m.user_id
     LEFT JOIN ev ON ev.user_id = m.user_id
     LEFT JOIN done ON done.user_id = m.user_id
     ORDER BY events DESC, tasks_completed DESC, lower(u.name), m.user_id
     LIMIT $3`,
    [asOf, tz, limit],
  );
  return rows;
}

export interface TaskTotalsRow {
  today: string;
  open: number;
  completed_in_window: number;
}

export async function taskTotals(sql: Sql, asOf: Date, tz: string, days: number): Promise<TaskTotalsRow> {
  const { rows } = await sql.query<TaskTotalsRow>(
    `WITH ${CLOCK}
     SELECT (SELECT today::text FROM clock) AS today,
            (SELECT count(*) FROM tasks WHERE status IN ('pending', 'active'))::int AS open,
            (SELECT count(*) FROM tasks WHERE completed_at >= ${windowStart(days)}
               AND completed_at <= $1::timestamptz)::int AS completed_in_window`,
    [asOf, tz],
  );
  return rows[0]!;
}

// ---- project performance -----------------------------------------------------------------------

export interface PerformanceRow {
  id: string;
  name: string;
  status: ProjectStatus;
  client_id: string | null;
  currency: string;
  due_date: string | null;
  completed_at: Date | null;
  on_time: boolean | null;
  tasks_total: number;
  tasks_completed: number;
  tasks_cancelled: number;
  tasks_completed_with_due: number;
  tasks_completed_on_time: number;
  task_on_time_rate: number | null;
  budget_minor: number | null;
  spent_minor: number;
  variance_minor: number | null;
  variance_pct: number | null;
  completed_last_28d: number;
  velocity: number;
  progress: number;
  progress_override: number | null;
}

export interface PerformanceFilter {
  status?: ProjectStatus;
  clientId?: string;
  afterId?: string;
  limit: number;
}

/** One page of projects (ordered by id) with their performance figures. */
export async function projectPerformance(
  sql: Sql,
  asOf: Date,
  tz: string,
  f: PerformanceFilter,
): Promise<PerformanceRow[]> {
  const params: unknown[] = [asOf, tz];
  const where: string[] = [];
  const add = (clause: string, value: unknown) => {
    params.push(value);
    where.push(clause.replace('?', `$${params.length}`));
  };
  if (f.status) add('p.status = ?', f.status);
  if (f.clientId) add('p.client_id = ?', f.clientId);
  if (f.afterId) add('p.id > ?::uuid', f.afterId);
  params.push(f.limit + 1);
  const { rows } = await sql.query<PerformanceRow>(
    `WITH ${CLOCK}
     SELECT q.*,
       CASE WHEN q.tasks_completed_with_due = 0 THEN NULL
            ELSE round(q.tasks_completed_on_time * 100.0 / q.tasks_completed_with_due, 2)::float8 END
         AS task_on_time_rate,
       CASE WHEN q.budget_minor IS NULL THEN NULL ELSE q.budget_minor - q.spent_minor END AS variance_minor,
       CASE WHEN q.budget_minor IS NULL OR q.budget_minor = 0 THEN NULL
            ELSE round((q.budget_minor - q.spent_minor) * 100.0 / q.budget_minor, 2)::float8 END AS variance_pct,
       round(q.completed_last_28d / 4.0, 2)::float8 AS velocity,
       coalesce(q.progress_override,
                CASE WHEN q.tasks_total - q.tasks_cancelled > 0
                     THEN (q.tasks_completed * 100 / (q.tasks_total - q.tasks_cancelled))::int ELSE 0 END)
         AS progress
     FROM (
       SELECT p.id, p.name, p.status, p.client_id, p.currency, p.due_date, p.completed_at, p.budget_minor,
              p.progress_override,
              CASE WHEN p.due_date IS NULL OR p.status = 'cancelled' THEN NULL
                   WHEN p.status = 'completed' THEN (p.completed_at AT TIME ZONE $2::text)::date <= p.due_date
                   WHEN p.due_date < (SELECT today FROM clock) THEN false
                   ELSE NULL END AS on_time,
              coalesce(e.spent, 0)::bigint AS spent_minor,
              coalesce(t.total, 0)::int AS tasks_total,
              coalesce(t.completed, 0)::int AS tasks_completed,
              coalesce(t.cancelled, 0)::int AS tasks_cancelled,
              coalesce(t.completed_with_due, 0)::int AS tasks_completed_with_due,
              coalesce(t.completed_on_time, 0)::int AS tasks_completed_on_time,
              coalesce(t.completed_28d, 0)::int AS completed_last_28d
       FROM projects p
       LEFT JOIN LATERAL (
         SELECT sum(x.amount_minor) AS spent FROM project_expenses x
         WHERE x.org_id = p.org_id AND x.project_id = p.id AND x.currency = p.currency) e ON true
       LEFT JOIN LATERAL (
         SELECT count(*) AS total,
                count(*) FILTER (WHERE t.status = 'completed') AS completed,
                count(*) FILTER (WHERE t.status = 'cancelled') AS cancelled,
                count(*) FILTER (WHERE t.status = 'completed' AND t.due_date IS NOT NULL) AS completed_with_due,
                count(*) FILTER (WHERE t.status = 'completed' AND t.due_date IS NOT NULL
                                   AND (t.completed_at AT TIME ZONE $2::text)::date <= t.due_date) AS completed_on_time,
                count(*) FILTER (WHERE t.completed_at >= ${windowStart(28)}
                                   AND t.completed_at <= $1::timestamptz) AS completed_28d
         FROM tasks t WHERE t.org_id = p.org_id AND t.project_id = p.id) t ON true
       ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY p.id
       LIMIT $${params.length}) q
     ORDER BY q.id`,
    params,
  );
  return rows;
}

// ---- executive (0003_analytics.sql) ------------------------------------------------------------

export interface MoneyJson {
  currency: string;
  revenueThisMonthMinor: number;
  revenueLastMonthMinor: number;
  revenueLastMonthToDateMinor: number;
  revenueGrowthPct: number | null;
  mrrMinor: number;
  averageProjectBudgetMinor: number | null;
}

export interface ExecutiveJson {
  timezone: string;
  day: string;
  monthStart: string;
  lastMonthStart: string;
  lastMonthSameDay: string;
  organizations: number;
  money: MoneyJson[];
  projects: { total: number; byStatus: Record<ProjectStatus, number> };
  activeUsers: number;
  newClients: number;
  churn: { activeAtMonthStart: number; churned: number; ratePct: number | null };
  satisfaction: { average: number | null; responses: number };
  conversion: { won: number; lost: number; ratePct: number | null };
}

/** orgId null: every organization (the function refuses unless the user is a super admin). */
export async function executiveMetrics(sql: Sql, orgId: string | null, asOf: Date): Promise<ExecutiveJson> {
  const { rows } = await sql.query<{ m: ExecutiveJson }>('SELECT bul_executive_metrics($1, $2) AS m', [
    orgId,
    asOf,
  ]);
  return rows[0]!.m;
}

export interface TrendRow {
  currency: string | null;
  day: string;
  value: number | null;
}

export async function executiveTrend(
  sql: Sql,
  orgId: string | null,
  metric: string,
  days: number,
  asOf: Date,
): Promise<TrendRow[]> {
  const { rows } = await sql.query<TrendRow>(
    'SELECT currency, day::text AS day, value FROM bul_executive_trend($1, $2, $3, $4)',
    [orgId, metric, days, asOf],
  );
  return rows;
}
