// SQL for deals (row-level security scopes every query to the organization). closed_at follows
// the stage: set on entering won or lost, cleared on reopening.
import { Conditions, keysetList, type SortKey } from '../../platform/db/keyset-list.ts';
import type { Sql } from '../../platform/db/transaction.ts';
import type { PageOf } from '../../platform/http/pagination.ts';
import type { DealListQueryType } from './deal-schemas.ts';
import type { DealStage } from './transitions.ts';

export interface DealRow {
  [key: string]: unknown;
  id: string;
  title: string;
  client_id: string | null;
  owner_id: string | null;
  amount_minor: number;
  currency: string;
  stage: DealStage;
  expected_close_on: string | null;
  closed_at: Date | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export const DEAL_EDITABLE = [
  'title',
  'client_id',
  'owner_id',
  'amount_minor',
  'currency',
  'stage',
  'expected_close_on',
] as const;
export type DealFields = Pick<DealRow, (typeof DEAL_EDITABLE)[number]>;
/** What the audit trail records of a deal (closed_at moves with the stage). */
export const DEAL_AUDITED = [...DEAL_EDITABLE, 'closed_at'] as const;

const COLUMNS = `d.id, d.title, d.client_id, d.owner_id, d.amount_minor, d.currency, d.stage, d.expected_close_on,
  d.closed_at, d.created_at, d.updated_at, d.version`;

const CLOSED_AT = (stage: string) => `CASE WHEN ${stage} IN ('won', 'lost') THEN now() END`;

export async function insertDeal(sql: Sql, orgId: string, id: string, f: DealFields): Promise<DealRow> {
  const { rows } = await sql.query<DealRow>(
    `INSERT INTO deals AS d (org_id, id, title, client_id, owner_id, amount_minor, currency, stage,
       expected_close_on, closed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, ${CLOSED_AT('$8::text')}) RETURNING ${COLUMNS}`,
    [orgId, id, f.title, f.client_id, f.owner_id, f.amount_minor, f.currency, f.stage, f.expected_close_on],
  );
  return rows[0]!;
}

export async function getDeal(sql: Sql, id: string, forUpdate = false): Promise<DealRow | null> {
  const { rows } = await sql.query<DealRow>(
    `SELECT ${COLUMNS} FROM deals d WHERE d.id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

/** Applies changed fields; a stage change sets or clears closed_at. */
export async function updateDeal(sql: Sql, id: string, f: Partial<DealFields>): Promise<DealRow> {
  const keys = Object.keys(f) as (keyof DealFields)[];
  const sets = keys.map((k, i) => `${k} = $${i + 2}`);
  if (f.stage !== undefined) sets.push(`closed_at = ${CLOSED_AT(`$${keys.indexOf('stage') + 2}::text`)}`);
  const { rows } = await sql.query<DealRow>(
    `UPDATE deals d SET ${sets.join(', ')} WHERE d.id = $1 RETURNING ${COLUMNS}`,
    [id, ...keys.map((k) => f[k])],
  );
  return rows[0]!;
}

export async function deleteDeal(sql: Sql, id: string): Promise<void> {
  await sql.query('DELETE FROM deals WHERE id = $1', [id]);
}

const SORT_KEYS: Record<string, SortKey> = {
  createdAt: { expr: 'd.created_at', type: 'timestamptz' },
  updatedAt: { expr: 'd.updated_at', type: 'timestamptz' },
  title: { expr: 'lower(d.title)', type: 'text' },
  amountMinor: { expr: 'd.amount_minor', type: 'bigint' },
  expectedCloseOn: { expr: "coalesce(d.expected_close_on, 'infinity'::date)", type: 'date' },
};

export type DealFilters = Omit<DealListQueryType, 'limit' | 'cursor' | 'sort'>;

function dealConditions(q: DealFilters): Conditions {
  const w = new Conditions();
  if (q.stage) w.add(`d.stage = ${w.param(q.stage)}`);
  if (q.open !== undefined) w.add(q.open ? "d.stage NOT IN ('won', 'lost')" : "d.stage IN ('won', 'lost')");
  if (q.clientId) w.add(`d.client_id = ${w.param(q.clientId)}`);
  if (q.ownerId) w.add(`d.owner_id = ${w.param(q.ownerId)}`);
  return w;
}

export function listDeals(sql: Sql, q: DealListQueryType): Promise<PageOf<DealRow>> {
  return keysetList<DealRow, DealRow>(sql, {
    select: COLUMNS,
    from: 'deals d',
    idExpr: 'd.id',
    where: dealConditions(q),
    sorts: SORT_KEYS,
    sort: q.sort ?? '-createdAt',
    limit: q.limit ?? 50,
    cursor: q.cursor,
    map: (r) => r,
  });
}

/** Every deal matching the list's filters, oldest first, with client name and owner e-mail (for exports). */
export function dealExportQuery(q: DealFilters): { text: string; values: unknown[] } {
  const w = dealConditions(q);
  return {
    text: `SELECT ${COLUMNS}, cl.name AS client_name, u.email AS owner_email FROM deals d
      LEFT JOIN clients cl ON cl.org_id = d.org_id AND cl.id = d.client_id LEFT JOIN users u ON u.id = d.owner_id
      WHERE ${w.sql()} ORDER BY d.created_at, d.id`,
    values: w.params,
  };
}

/** Deals and their total amount per stage (amounts only of deals in `currency`). */
export async function pipeline(
  sql: Sql,
  currency: string,
): Promise<{ stage: DealStage; count: number; amount_minor: number }[]> {
  const { rows } = await sql.query<{ stage: DealStage; count: number; amount_minor: number }>(
    `SELECT stage, count(*)::int AS count,
       coalesce(sum(amount_minor) FILTER (WHERE currency = $1), 0)::bigint AS amount_minor
     FROM deals GROUP BY stage`,
    [currency],
  );
  return rows;
}
