// SQL for contracts (row-level security scopes every query to the organization).
import { Conditions, keysetList, type SortKey } from '../../platform/db/keyset-list.ts';
import type { Sql } from '../../platform/db/transaction.ts';
import type { PageOf } from '../../platform/http/pagination.ts';
import type { BillingInterval, ContractListQueryType } from './contract-schemas.ts';

export interface ContractRow {
  [key: string]: unknown;
  id: string;
  client_id: string;
  name: string;
  amount_minor: number;
  currency: string;
  billing_interval: BillingInterval;
  start_date: string;
  end_date: string | null;
  monthly_value_minor: number;
  created_at: Date;
  updated_at: Date;
  version: number;
}

/**
 * A contract's contribution to MRR: the SQL function of migration 0011, which the executive MRR
 * sums too, so MRR ties out with the list to the minor unit.
 */
export const MONTHLY_VALUE_SQL = 'bul_contract_monthly_minor(c.amount_minor, c.billing_interval)';

const COLUMNS = `c.id, c.client_id, c.name, c.amount_minor, c.currency, c.billing_interval, c.start_date,
  c.end_date, ${MONTHLY_VALUE_SQL} AS monthly_value_minor, c.created_at, c.updated_at, c.version`;

export const CONTRACT_EDITABLE = [
  'client_id',
  'name',
  'amount_minor',
  'currency',
  'billing_interval',
  'start_date',
  'end_date',
] as const;
export type ContractFields = Pick<ContractRow, (typeof CONTRACT_EDITABLE)[number]>;

export async function insertContract(
  sql: Sql,
  orgId: string,
  id: string,
  f: ContractFields,
): Promise<ContractRow> {
  const { rows } = await sql.query<ContractRow>(
    `INSERT INTO contracts AS c (org_id, id, client_id, name, amount_minor, currency, billing_interval,
       start_date, end_date)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${COLUMNS}`,
    [
      orgId,
      id,
      f.client_id,
      f.name,
      f.amount_minor,
      f.currency,
      f.billing_interval,
      f.start_date,
      f.end_date,
    ],
  );
  return rows[0]!;
}

export async function getContract(sql: Sql, id: string, forUpdate = false): Promise<ContractRow | null> {
  const { rows } = await sql.query<ContractRow>(
    `SELECT ${COLUMNS} FROM contracts c WHERE c.id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

export async function updateContract(sql: Sql, id: string, f: Partial<ContractFields>): Promise<ContractRow> {
  const keys = Object.keys(f) as (keyof ContractFields)[];
  const { rows } = await sql.query<ContractRow>(
    `UPDATE contracts c SET ${keys.map((k, i) => `${k} = $${i + 2}`).join(', ')} WHERE c.id = $1 RETURNING ${COLUMNS}`,
    [id, ...keys.map((k) => f[k])],
  );
  return rows[0]!;
}

/** The client's contracts still running on `day` or later (no end, or ending on or after it), locked. */
export async function runningContracts(sql: Sql, clientId: string, day: string): Promise<ContractRow[]> {
  const { rows } = await sql.query<ContractRow>(
    `SELECT ${COLUMNS} FROM contracts c WHERE c.client_id = $1 AND (c.end_date IS NULL OR c.end_date >= $2::date)
     ORDER BY c.start_date, c.id FOR UPDATE`,
    [clientId, day],
  );
  return rows;
}

/** Ends the contract the day before `day` (its last billed day). */
export async function endContract(sql: Sql, id: string, day: string): Promise<ContractRow> {
  const { rows } = await sql.query<ContractRow>(
    `UPDATE contracts c SET end_date = $2::date - 1 WHERE c.id = $1 RETURNING ${COLUMNS}`,
    [id, day],
  );
  return rows[0]!;
}

export async function deleteContract(sql: Sql, id: string): Promise<void> {
  await sql.query('DELETE FROM contracts WHERE id = $1', [id]);
}

const SORT_KEYS: Record<string, SortKey> = {
  createdAt: { expr: 'c.created_at', type: 'timestamptz' },
  updatedAt: { expr: 'c.updated_at', type: 'timestamptz' },
  name: { expr: 'lower(c.name)', type: 'text' },
  startDate: { expr: 'c.start_date', type: 'date' },
  amountMinor: { expr: 'c.amount_minor', type: 'bigint' },
};

/** The list's filters as conditions; `today` is the organization's date, used when `active` is asked without `activeOn`. */
function contractConditions(q: ContractFilters, today: string): Conditions {
  const w = new Conditions();
  if (q.clientId) w.add(`c.client_id = ${w.param(q.clientId)}`);
  if (q.billingInterval) w.add(`c.billing_interval = ${w.param(q.billingInterval)}`);
  if (q.active !== undefined || q.activeOn !== undefined) {
    const day = w.param(q.activeOn ?? today);
    const active = `(c.start_date <= ${day}::date AND (c.end_date IS NULL OR c.end_date >= ${day}::date))`;
    w.add(q.active === false ? `NOT ${active}` : active);
  }
  return w;
}

export type ContractFilters = Omit<ContractListQueryType, 'limit' | 'cursor' | 'sort'>;

export function listContracts(
  sql: Sql,
  q: ContractListQueryType,
  today: string,
): Promise<PageOf<ContractRow>> {
  return keysetList<ContractRow, ContractRow>(sql, {
    select: COLUMNS,
    from: 'contracts c',
    idExpr: 'c.id',
    where: contractConditions(q, today),
    sorts: SORT_KEYS,
    sort: q.sort ?? '-createdAt',
    limit: q.limit ?? 50,
    cursor: q.cursor,
    map: (r) => r,
  });
}

/** Every contract matching the list's filters, oldest first, with its client's name (for exports). */
export function contractExportQuery(q: ContractFilters, today: string): { text: string; values: unknown[] } {
  const w = contractConditions(q, today);
  return {
    text: `SELECT ${COLUMNS}, cl.name AS client_name FROM contracts c LEFT JOIN clients cl ON cl.org_id = c.org_id AND cl.id = c.client_id
      WHERE ${w.sql()} ORDER BY c.created_at, c.id`,
    values: w.params,
  };
}
