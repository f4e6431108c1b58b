// SQL for tasks and what hangs off them (comments, time entries, watchers, attachments).
import { Conditions, keysetList, type SortKey } from '../../platform/db/keyset-list.ts';
import type { NamedStatement, Sql } from '../../platform/db/transaction.ts';
import type { PageOf } from '../../platform/http/pagination.ts';
import type { TaskListQueryType } from './task-schemas.ts';
import type { TaskPriority, TaskStatus } from './transitions.ts';

export interface TaskRow {
  [key: string]: unknown;
  id: string;
  project_id: string;
  title: string;
  description: string;
  assignee_id: string | null;
  priority: TaskPriority;
  status: TaskStatus;
  tags: string[];
  due_date: string | null;
  estimate_minutes: number | null;
  completed_at: Date | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

const TASK_COLUMNS = `t.id, t.project_id, t.title, t.description, t.assignee_id, t.priority, t.status, t.tags,
  t.due_date, t.estimate_minutes, t.completed_at, t.created_by, t.created_at, t.updated_at, t.version`;

export const TASK_EDITABLE = [
  'project_id',
  'title',
  'description',
  'assignee_id',
  'priority',
  'status',
  'tags',
  'due_date',
  'estimate_minutes',
] as const;
export type TaskFields = Pick<TaskRow, (typeof TASK_EDITABLE)[number]>;

/**
 * The INSERT of a new task, returning it (run it with its audit event: AuditService.recordWith).
 * A completed task gets `completedAt` (a restored one's own) or now; any other status none.
 */
export function insertTaskWrite(
  orgId: string,
  id: string,
  createdBy: string,
  f: TaskFields,
  completedAt: Date | null = null,
): NamedStatement {
  return {
    name: 'bul_task_insert',
    text: `INSERT INTO tasks AS t (org_id, id, project_id, title, description, assignee_id, priority, status, tags,
       due_date, estimate_minutes, completed_at, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
       CASE WHEN $8 = 'completed' THEN coalesce($13::timestamptz, now()) END, $12)
     RETURNING ${TASK_COLUMNS}`,
    values: [
      orgId,
      id,
      f.project_id,
      f.title,
      f.description,
      f.assignee_id,
      f.priority,
      f.status,
      f.tags,
      f.due_date,
      f.estimate_minutes,
      createdBy,
      completedAt,
    ],
  };
}

/** The foreign keys of tasks that stand for the create and update rules (project, assignee). */
export const TASK_REFERENCE_KEYS = {
  project: 'tasks_org_id_project_id_fkey',
  assignee: 'tasks_org_id_assignee_id_fkey',
} as const;

export async function getTask(sql: Sql, id: string, forUpdate = false): Promise<TaskRow | null> {
  const { rows } = await sql.query<TaskRow>(
    `SELECT ${TASK_COLUMNS} FROM tasks t WHERE t.id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

/** Applies changed fields; completed_at follows the status. */
export async function updateTask(sql: Sql, id: string, f: Partial<TaskFields>): Promise<TaskRow> {
  const keys = Object.keys(f) as (keyof TaskFields)[];
  const sets = keys.map((k, i) => `${k} = $${i + 2}`);
  if (f.status !== undefined) {
    sets.push(`completed_at = CASE WHEN $${keys.indexOf('status') + 2} = 'completed' THEN now() END`);
  }
  const { rows } = await sql.query<TaskRow>(
    `UPDATE tasks t SET ${sets.join(', ')} WHERE t.id = $1 RETURNING ${TASK_COLUMNS}`,
    [id, ...keys.map((k) => f[k])],
  );
  return rows[0]!;
}

export async function deleteTask(sql: Sql, id: string): Promise<void> {
  await sql.query('DELETE FROM tasks WHERE id = $1', [id]);
}

const TASK_SORT_KEYS: Record<string, SortKey> = {
  createdAt: { expr: 't.created_at', type: 'timestamptz' },
  updatedAt: { expr: 't.updated_at', type: 'timestamptz' },
  dueDate: { expr: "coalesce(t.due_date, 'infinity'::date)", type: 'date' },
  priority: { expr: "array_position(ARRAY['low','medium','high','urgent'], t.priority)", type: 'int' },
  title: { expr: 'lower(t.title)', type: 'text' },
};

function taskFilter(q: Omit<TaskListQueryType, 'limit' | 'cursor' | 'sort'>): Conditions {
  const w = new Conditions();
  if (q.status) w.add(`t.status = ${w.param(q.status)}`);
  if (q.priority) w.add(`t.priority = ${w.param(q.priority)}`);
  if (q.assigneeId) w.add(`t.assignee_id = ${w.param(q.assigneeId)}`);
  if (q.projectId) w.add(`t.project_id = ${w.param(q.projectId)}`);
  if (q.clientId) {
    w.add(`t.project_id IN (SELECT p.id FROM projects p WHERE p.client_id = ${w.param(q.clientId)})`);
  }
  if (q.tag) w.add(`t.tags @> ARRAY[${w.param(q.tag)}]::text[]`);
  if (q.dueBefore) w.add(`t.due_date <= ${w.param(q.dueBefore)}`);
  if (q.dueAfter) w.add(`t.due_date >= ${w.param(q.dueAfter)}`);
  if (q.q) w.add(`t.search @@ websearch_to_tsquery('simple', ${w.param(q.q)})`);
  return w;
}

export function listTasks(sql: Sql, q: TaskListQueryType): Promise<PageOf<TaskRow>> {
  return keysetList<TaskRow, TaskRow>(sql, {
    select: TASK_COLUMNS,
    from: 'tasks t',
    idExpr: 't.id',
    where: taskFilter(q),
    sorts: TASK_SORT_KEYS,
    sort: q.sort ?? '-createdAt',
    limit: q.limit ?? 50,
    cursor: q.cursor,
    map: (r) => r,
  });
}

export function taskExportQuery(q: Omit<TaskListQueryType, 'limit' | 'cursor' | 'sort'>): {
  text: string;
  values: unknown[];
} {
  const w = taskFilter(q);
  return {
    text: `SELECT ${TASK_COLUMNS}, p.name AS project_name, u.email AS assignee_email FROM tasks t
      JOIN projects p ON p.org_id = t.org_id AND p.id = t.project_id LEFT JOIN users u ON u.id = t.assignee_id
      WHERE ${w.sql()} ORDER BY t.created_at, t.id`,
    values: w.params,
  };
}

/**
 * The CSV export of tasks as one `COPY ... TO STDOUT WITH (FORMAT csv)` (see bulk-service
 * exportTasks), with the cells the row-by-row export writes for the same task: text a spreadsheet
 * would run as a formula (or that starts with ' before such a character) gets a leading ', timestamps are ISO 8601 UTC with milliseconds, tags are
 * joined with ", ", and empty text is an empty (NULL, so unquoted) cell. COPY takes no bind
 * parameters: run `text` through inlineParams with `values`.
 */
export function taskCsvExportQuery(q: Omit<TaskListQueryType, 'limit' | 'cursor' | 'sort'>): {
  text: string;
  values: unknown[];
} {
  const w = taskFilter(q);
  const cell = (x: string) => `CASE WHEN ${x} ~ '^''*[-=+@\t\r]' THEN '''' || ${x} ELSE NULLIF(${x}, '') END`;
  const iso = (x: string) => `to_char(${x} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  return {
    text: `COPY (SELECT t.id, ${cell('p.name')}, ${cell('t.title')}, ${cell('t.description')}, ${cell('u.email')},
      ${cell('t.priority')}, ${cell('t.status')}, ${cell('t.due_date::text')}, t.estimate_minutes,
      ${cell("array_to_string(t.tags, ', ')")}, ${iso('t.completed_at')}, ${iso('t.created_at')}
      FROM tasks t
      JOIN projects p ON p.org_id = t.org_id AND p.id = t.project_id LEFT JOIN users u ON u.id = t.assignee_id
      WHERE ${w.sql()} ORDER BY t.created_at, t.id) TO STDOUT WITH (FORMAT csv)`,
    values: w.params,
  };
}

// ---- comments ----------------------------------------------------------------------------------

export interface CommentRow {
  id: string;
  task_id: string;
  author_id: string | null;
  author_name: string | null;
  body: string;
  created_at: Date;
  updated_at: Date;
  version: number;
}

const COMMENT_SELECT = `SELECT c.id, c.task_id, c.author_id, u.name AS author_name, c.body, c.created_at,
  c.updated_at, c.version FROM task_comments c LEFT JOIN users u ON u.id = c.author_id`;

export async function insertComment(
  sql: Sql,
  c: { orgId: string; id: string; taskId: string; authorId: string; body: string },
): Promise<CommentRow> {
  await sql.query(
    'INSERT INTO task_comments (org_id, id, task_id, author_id, body) VALUES ($1, $2, $3, $4, $5)',
    [c.orgId, c.id, c.taskId, c.authorId, c.body],
  );
  return (await getComment(sql, c.taskId, c.id))!;
}

export async function listComments(sql: Sql, taskId: string): Promise<CommentRow[]> {
  const { rows } = await sql.query<CommentRow>(`${COMMENT_SELECT} WHERE c.task_id = $1 ORDER BY c.id`, [
    taskId,
  ]);
  return rows;
}

export async function getComment(
  sql: Sql,
  taskId: string,
  id: string,
  forUpdate = false,
): Promise<CommentRow | null> {
  const { rows } = await sql.query<CommentRow>(
    `${COMMENT_SELECT} WHERE c.task_id = $1 AND c.id = $2 ${forUpdate ? 'FOR UPDATE OF c' : ''}`,
    [taskId, id],
  );
  return rows[0] ?? null;
}

export async function updateComment(sql: Sql, taskId: string, id: string, body: string): Promise<CommentRow> {
  await sql.query('UPDATE task_comments SET body = $2 WHERE id = $1', [id, body]);
  return (await getComment(sql, taskId, id))!;
}

export async function deleteComment(sql: Sql, id: string): Promise<void> {
  await sql.query('DELETE FROM task_comments WHERE id = $1', [id]);
}

// ---- time entries ------------------------------------------------------------------------------

export interface TimeEntryRow {
  id: string;
  task_id: string;
  user_id: string | null;
  spent_on: string;
  minutes: number;
  note: string;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export async function insertTimeEntry(
  sql: Sql,
  e: {
    orgId: string;
    id: string;
    taskId: string;
    userId: string;
    spentOn: string;
    minutes: number;
    note: string;
  },
): Promise<TimeEntryRow> {
  const { rows } = await sql.query<TimeEntryRow>(
    `INSERT INTO task_time_entries (org_id, id, task_id, user_id, spent_on, minutes, note)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
    [e.orgId, e.id, e.taskId, e.userId, e.spentOn, e.minutes, e.note],
  );
  return rows[0]!;
}

export async function listTimeEntries(sql: Sql, taskId: string): Promise<TimeEntryRow[]> {
  const { rows } = await sql.query<TimeEntryRow>(
    'SELECT * FROM task_time_entries WHERE task_id = $1 ORDER BY spent_on, id',
    [taskId],
  );
  return rows;
}

export async function getTimeEntry(sql: Sql, taskId: string, id: string): Promise<TimeEntryRow | null> {
  const { rows } = await sql.query<TimeEntryRow>(
    'SELECT * FROM task_time_entries WHERE task_id = $1 AND id = $2 FOR UPDATE',
    [taskId, id],
  );
  return rows[0] ?? null;
}

export async function deleteTimeEntry(sql: Sql, id: string): Promise<void> {
  await sql.query('DELETE FROM task_time_entries WHERE id = $1', [id]);
}

// ---- watchers ----------------------------------------------------------------------------------

export interface WatcherRow {
  user_id: string;
  name: string | null;
  created_at: Date;
}

export async function listWatchers(sql: Sql, taskId: string): Promise<WatcherRow[]> {
  const { rows } = await sql.query<WatcherRow>(
    `SELECT w.user_id, u.name, w.created_at FROM task_watchers w LEFT JOIN users u ON u.id = w.user_id
     WHERE w.task_id = $1 ORDER BY w.created_at, w.user_id`,
    [taskId],
  );
  return rows;
}

export async function isWatching(sql: Sql, taskId: string, userId: string): Promise<boolean> {
  const { rowCount } = await sql.query('SELECT 1 FROM task_watchers WHERE task_id = $1 AND user_id = $2', [
    taskId,
    userId,
  ]);
  return rowCount === 1;
}

/** Adds a watcher; false when they already watched. */
export async function addWatcher(sql: Sql, orgId: string, taskId: string, userId: string): Promise<boolean> {
  const { rowCount } = await sql.query(
    'INSERT INTO task_watchers (org_id, task_id, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    [orgId, taskId, userId],
  );
  return rowCount === 1;
}

export async function removeWatcher(sql: Sql, taskId: string, userId: string): Promise<boolean> {
  const { rowCount } = await sql.query('DELETE FROM task_watchers WHERE task_id = $1 AND user_id = $2', [
    taskId,
    userId,
  ]);
  return rowCount === 1;
}

// ---- attachments -------------------------------------------------------------------------------

export interface AttachmentRow {
  id: string;
  task_id: string;
  file_name: string;
  content_type: string;
  size_bytes: number;
  sha256: string;
  uploaded_by: string | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export async function insertAttachment(
  sql: Sql,
  a: {
    orgId: string;
    id: string;
    taskId: string;
    fileName: string;
    contentType: string;
    sizeBytes: number;
    sha256: string;
    uploadedBy: string;
  },
): Promise<AttachmentRow> {
  const { rows } = await sql.query<AttachmentRow>(
    `INSERT INTO task_attachments (org_id, id, task_id, file_name, content_type, size_bytes, sha256, uploaded_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
    [a.orgId, a.id, a.taskId, a.fileName, a.contentType, a.sizeBytes, a.sha256, a.uploadedBy],
  );
  return rows[0]!;
}

export async function listAttachments(sql: Sql, taskId: string): Promise<AttachmentRow[]> {
  const { rows } = await sql.query<AttachmentRow>(
    'SELECT * FROM task_attachments WHERE task_id = $1 ORDER BY id',
    [taskId],
  );
  return rows;
}

export async function getAttachment(
  sql: Sql,
  taskId: string,
  id: string,
  forUpdate = false,
): Promise<AttachmentRow | null> {
  const { rows } = await sql.query<AttachmentRow>(
    `SELECT * FROM task_attachments WHERE task_id = $1 AND id = $2 ${forUpdate ? 'FOR UPDATE' : ''}`,
    [taskId, id],
  );
  return rows[0] ?? null;
}

export async function deleteAttachment(sql: Sql, id: string): Promise<void> {
  await sql.query('DELETE FROM task_attachments WHERE id = $1', [id]);
}

/** Locks every task of a project (before deleting it with its attachments). */
export async function lockTasksOf(sql: Sql, projectId: string): Promise<void> {
  await sql.query('SELECT 1 FROM tasks WHERE project_id = $1 FOR UPDATE', [projectId]);
}

/** Attachment ids and sizes of a task or project about to be deleted (their files go too). */
export async function attachmentsUnder(
  sql: Sql,
  scope: { taskId: string } | { projectId: string },
): Promise<{ id: string; size_bytes: number }[]> {
  const { rows } = await sql.query<{ id: string; size_bytes: number }>(
    // Locked: a concurrent attachment delete waits, then finds nothing (bytes are given back once).
    'taskId' in scope
      ? 'SELECT id, size_bytes FROM task_attachments WHERE task_id = $1 FOR UPDATE'
      : `SELECT a.id, a.size_bytes FROM task_attachments a JOIN tasks t ON t.org_id = a.org_id AND t.id = a.task_id
         WHERE t.project_id = $1 FOR UPDATE OF a`,
    ['taskId' in scope ? scope.taskId : scope.projectId],
  );
  return rows;
}
