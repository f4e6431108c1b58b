// SQL for invoices and payments (row-level security scopes every query to the organization).
// An invoice is read with what was paid on it and its derived state, computed in SQL so that lists
// can filter on the state.
import { Conditions, keysetList, type SortKey } from '../../platform/db/keyset-list.ts';
import type { Sql } from '../../platform/db/transaction.ts';
import type { PageOf } from '../../platform/http/pagination.ts';
import type { InvoiceListQueryType, InvoiceState, InvoiceStatus } from './invoice-schemas.ts';

export interface InvoiceRow {
  [key: string]: unknown;
  id: string;
  client_id: string;
  number: string;
  issued_on: string;
  due_on: string;
  amount_minor: number;
  currency: string;
  status: InvoiceStatus;
  paid_minor: number;
  state: InvoiceState;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export const INVOICE_EDITABLE = [
  'client_id',
  'number',
  'issued_on',
  'due_on',
  'amount_minor',
  'currency',
  'status',
] as const;
export type InvoiceFields = Pick<InvoiceRow, (typeof INVOICE_EDITABLE)[number]>;

const FROM = `invoices i CROSS JOIN LATERAL (
    SELECT coalesce(sum(p.amount_minor), 0)::bigint AS paid_minor
    FROM payments p WHERE p.org_id = i.org_id AND p.invoice_id = i.id) pay`;

/** The derived state (see the Invoice schema); `today` is a placeholder for the organization's date. */
const stateSql = (today: string) => `(CASE
    WHEN i.status = 'void' THEN 'void'
    WHEN pay.paid_minor >= i.amount_minor THEN 'paid'
    WHEN i.due_on < ${today}::date THEN 'overdue'
    WHEN pay.paid_minor > 0 THEN 'partially_paid'
    ELSE 'open' END)`;

const columns = (
  today: string,
) => `i.id, i.client_id, i.number, i.issued_on, i.due_on, i.amount_minor, i.currency,
  i.status, pay.paid_minor, ${stateSql(today)} AS state, i.created_at, i.updated_at, i.version`;

export async function insertInvoice(sql: Sql, orgId: string, id: string, f: InvoiceFields): Promise<void> {
  await sql.query(
    `INSERT INTO invoices (org_id, id, client_id, number, issued_on, due_on, amount_minor, currency, status)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [orgId, id, f.client_id, f.number, f.issued_on, f.due_on, f.amount_minor, f.currency, f.status],
  );
}

/** One invoice with its payments' sum and state; `forUpdate` locks the invoice row. */
export async function getInvoice(
  sql: Sql,
  id: string,
  today: string,
  forUpdate = false,
): Promise<InvoiceRow | null> {
  const { rows } = await sql.query<InvoiceRow>(
    `SELECT ${columns('$2')} FROM ${FROM} WHERE i.id = $1 ${forUpdate ? 'FOR UPDATE OF i' : ''}`,
    [id, today],
  );
  return rows[0] ?? null;
}

export async function invoiceNumberTaken(
  sql: Sql,
  number: string,
  exceptId: string | null,
): Promise<boolean> {
  const { rowCount } = await sql.query(
    'SELECT 1 FROM invoices WHERE number = $1 AND id IS DISTINCT FROM $2',
    [number, exceptId],
  );
  return rowCount === 1;
}

export async function updateInvoice(sql: Sql, id: string, f: Partial<InvoiceFields>): Promise<void> {
  const keys = Object.keys(f) as (keyof InvoiceFields)[];
  await sql.query(`UPDATE invoices SET ${keys.map((k, i) => `${k} = $${i + 2}`).join(', ')} WHERE id = $1`, [
    id,
    ...keys.map((k) => f[k]),
  ]);
}

export async function deleteInvoice(sql: Sql, id: string): Promise<void> {
  await sql.query('DELETE FROM invoices WHERE id = $1', [id]);
}

const SORT_KEYS: Record<string, SortKey> = {
  createdAt: { expr: 'i.created_at', type: 'timestamptz' },
  updatedAt: { expr: 'i.updated_at', type: 'timestamptz' },
  number: { expr: 'i.number', type: 'text' },
  issuedOn: { expr: 'i.issued_on', type: 'date' },
  dueOn: { expr: 'i.due_on', type: 'date' },
  amountMinor: { expr: 'i.amount_minor', type: 'bigint' },
};

export type InvoiceFilters = Omit<InvoiceListQueryType, 'limit' | 'cursor' | 'sort'>;

/** The list's filters as conditions, and the placeholder of the organization's date. */
function invoiceConditions(q: InvoiceFilters, today: string): { w: Conditions; day: string } {
  const w = new Conditions();
  const day = w.param(today);
  if (q.clientId) w.add(`i.client_id = ${w.param(q.clientId)}`);
  if (q.status) w.add(`i.status = ${w.param(q.status)}`);
  if (q.state) w.add(`${stateSql(day)} = ${w.param(q.state)}`);
  if (q.issuedFrom) w.add(`i.issued_on >= ${w.param(q.issuedFrom)}::date`);
  if (q.issuedTo) w.add(`i.issued_on <= ${w.param(q.issuedTo)}::date`);
  if (q.dueBefore) w.add(`i.due_on < ${w.param(q.dueBefore)}::date`);
  return { w, day };
}

export function listInvoices(sql: Sql, q: InvoiceListQueryType, today: string): Promise<PageOf<InvoiceRow>> {
  const { w, day } = invoiceConditions(q, today);
  return keysetList<InvoiceRow, InvoiceRow>(sql, {
    select: columns(day),
    from: FROM,
    idExpr: 'i.id',
    where: w,
    sorts: SORT_KEYS,
    sort: q.sort ?? '-createdAt',
    limit: q.limit ?? 50,
    cursor: q.cursor,
    map: (r) => r,
  });
}

/** Every invoice matching the list's filters, oldest first, with its client's name (for exports). */
export function invoiceExportQuery(q: InvoiceFilters, today: string): { text: string; values: unknown[] } {
  const { w, day } = invoiceConditions(q, today);
  return {
    text: `SELECT ${columns(day)}, cl.name AS client_name FROM ${FROM} LEFT JOIN clients cl ON cl.org_id = i.org_id AND cl.id = i.client_id
      WHERE ${w.sql()} ORDER BY i.created_at, i.id`,
    values: w.params,
  };
}

// ---- payments ----------------------------------------------------------------------------------

export interface PaymentRow {
  id: string;
  invoice_id: string;
  paid_on: string;
  amount_minor: number;
  currency: string;
  method: string;
  note: string;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export const PAYMENT_AUDITED = [
  'invoice_id',
  'paid_on',
  'amount_minor',
  'currency',
  'method',
  'note',
] as const;

const PAYMENT_COLUMNS =
  'id, invoice_id, paid_on, amount_minor, currency, method, note, created_at, updated_at, version';

export async function insertPayment(
  sql: Sql,
  orgId: string,
  id: string,
  f: Pick<PaymentRow, (typeof PAYMENT_AUDITED)[number]>,
): Promise<PaymentRow> {
  const { rows } = await sql.query<PaymentRow>(
    `INSERT INTO payments (org_id, id, invoice_id, paid_on, amount_minor, currency, method, note)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${PAYMENT_COLUMNS}`,
    [orgId, id, f.invoice_id, f.paid_on, f.amount_minor, f.currency, f.method, f.note],
  );
  return rows[0]!;
}

export async function listPayments(sql: Sql, invoiceId: string): Promise<PaymentRow[]> {
  const { rows } = await sql.query<PaymentRow>(
    `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE invoice_id = $1 ORDER BY paid_on, id`,
    [invoiceId],
  );
  return rows;
}

export async function countPayments(sql: Sql, invoiceId: string): Promise<number> {
  const { rows } = await sql.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM payments WHERE invoice_id = $1',
    [invoiceId],
  );
  return rows[0]!.n;
}

export async function getPayment(
  sql: Sql,
  invoiceId: string,
  id: string,
  forUpdate = false,
): Promise<PaymentRow | null> {
  const { rows } = await sql.query<PaymentRow>(
    `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE invoice_id = $1 AND id = $2 ${forUpdate ? 'FOR UPDATE' : ''}`,
    [invoiceId, id],
  );
  return rows[0] ?? null;
}

export async function deletePayment(sql: Sql, id: string): Promise<void> {
  await sql.query('DELETE FROM payments WHERE id = $1', [id]);
}
