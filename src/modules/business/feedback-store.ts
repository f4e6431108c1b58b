// SQL for satisfaction feedback (row-level security scopes every query to the organization).
import { Conditions, keysetList, type SortKey } from '../../platform/db/keyset-list.ts';
import type { Sql } from '../../platform/db/transaction.ts';
import type { PageOf } from '../../platform/http/pagination.ts';
import type { FeedbackListQueryType } from './feedback-schemas.ts';

export interface FeedbackRow {
  [key: string]: unknown;
  id: string;
  client_id: string | null;
  project_id: string | null;
  score: number;
  comment: string;
  received_on: string;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export const FEEDBACK_EDITABLE = ['client_id', 'project_id', 'score', 'comment', 'received_on'] as const;
export type FeedbackFields = Pick<FeedbackRow, (typeof FEEDBACK_EDITABLE)[number]>;

const COLUMNS =
  'f.id, f.client_id, f.project_id, f.score, f.comment, f.received_on, f.created_at, f.updated_at, f.version';

export async function insertFeedback(
  sql: Sql,
  orgId: string,
  id: string,
  f: FeedbackFields,
): Promise<FeedbackRow> {
  const { rows } = await sql.query<FeedbackRow>(
    `INSERT INTO feedback AS f (org_id, id, client_id, project_id, score, comment, received_on)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
    [orgId, id, f.client_id, f.project_id, f.score, f.comment, f.received_on],
  );
  return rows[0]!;
}

export async function getFeedback(sql: Sql, id: string, forUpdate = false): Promise<FeedbackRow | null> {
  const { rows } = await sql.query<FeedbackRow>(
    `SELECT ${COLUMNS} FROM feedback f WHERE f.id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

export async function updateFeedback(sql: Sql, id: string, f: Partial<FeedbackFields>): Promise<FeedbackRow> {
  const keys = Object.keys(f) as (keyof FeedbackFields)[];
  const { rows } = await sql.query<FeedbackRow>(
    `UPDATE feedback f SET ${keys.map((k, i) => `${k} = $${i + 2}`).join(', ')} WHERE f.id = $1 RETURNING ${COLUMNS}`,
    [id, ...keys.map((k) => f[k])],
  );
  return rows[0]!;
}

export async function deleteFeedback(sql: Sql, id: string): Promise<void> {
  await sql.query('DELETE FROM feedback WHERE id = $1', [id]);
}

const SORT_KEYS: Record<string, SortKey> = {
  createdAt: { expr: 'f.created_at', type: 'timestamptz' },
  updatedAt: { expr: 'f.updated_at', type: 'timestamptz' },
  receivedOn: { expr: 'f.received_on', type: 'date' },
  score: { expr: 'f.score', type: 'int' },
};

export type FeedbackFilters = Omit<FeedbackListQueryType, 'limit' | 'cursor' | 'sort'>;

function feedbackConditions(q: FeedbackFilters): Conditions {
  const w = new Conditions();
  if (q.clientId) w.add(`f.client_id = ${w.param(q.clientId)}`);
  if (q.projectId) w.add(`f.project_id = ${w.param(q.projectId)}`);
  if (q.score !== undefined) w.add(`f.score = ${w.param(q.score)}`);
  if (q.receivedFrom) w.add(`f.received_on >= ${w.param(q.receivedFrom)}::date`);
  if (q.receivedTo) w.add(`f.received_on <= ${w.param(q.receivedTo)}::date`);
  return w;
}

export function listFeedback(sql: Sql, q: FeedbackListQueryType): Promise<PageOf<FeedbackRow>> {
  return keysetList<FeedbackRow, FeedbackRow>(sql, {
    select: COLUMNS,
    from: 'feedback f',
    idExpr: 'f.id',
    where: feedbackConditions(q),
    sorts: SORT_KEYS,
    sort: q.sort ?? '-receivedOn',
    limit: q.limit ?? 50,
    cursor: q.cursor,
    map: (r) => r,
  });
}

/** Every feedback matching the list's filters, oldest first, with client and project names (for exports). */
export function feedbackExportQuery(q: FeedbackFilters): { text: string; values: unknown[] } {
  const w = feedbackConditions(q);
  return {
    text: `SELECT ${COLUMNS}, cl.name AS client_name, p.name AS project_name FROM feedback f
      LEFT JOIN clients cl ON cl.org_id = f.org_id AND cl.id = f.client_id
      LEFT JOIN projects p ON p.org_id = f.org_id AND p.id = f.project_id
      WHERE ${w.sql()} ORDER BY f.created_at, f.id`,
    values: w.params,
  };
}
