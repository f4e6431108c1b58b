// SQL for clients, contacts and client status history (row-level security scopes every query).
import { Conditions, keysetList, type SortKey } from '../../platform/db/keyset-list.ts';
import type { Sql } from '../../platform/db/transaction.ts';
import type { PageOf } from '../../platform/http/pagination.ts';
import type { ClientListQueryType } from './client-schemas.ts';
import type { ClientStatus } from './transitions.ts';

export interface ClientRow {
  [key: string]: unknown;
  id: string;
  name: string;
  status: ClientStatus;
  owner_id: string | null;
  email: string | null;
  phone: string | null;
  website: string | null;
  notes: string;
  tags: string[];
  lead_at: Date | null;
  active_at: Date | null;
  churned_at: Date | null;
  archived_at: Date | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

const CLIENT_COLUMNS = `c.id, c.name, c.status, c.owner_id, c.email, c.phone, c.website, c.notes, c.tags,
  c.lead_at, c.active_at, c.churned_at, c.archived_at, c.created_at, c.updated_at, c.version`;

export const CLIENT_EDITABLE = [
  'name',
  'status',
  'owner_id',
  'email',
  'phone',
  'website',
  'notes',
  'tags',
] as const;
export type ClientFields = Pick<ClientRow, (typeof CLIENT_EDITABLE)[number]>;

export async function insertClient(sql: Sql, orgId: string, id: string, f: ClientFields): Promise<ClientRow> {
  const { rows } = await sql.query<ClientRow>(
    `INSERT INTO clients AS c (org_id, id, name, status, owner_id, email, phone, website, notes, tags,
       lead_at, active_at, churned_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
       CASE WHEN $4 = 'lead' THEN now() END, CASE WHEN $4 = 'active' THEN now() END,
       CASE WHEN $4 = 'churned' THEN now() END)
     RETURNING ${CLIENT_COLUMNS}`,
    [orgId, id, f.name, f.status, f.owner_id, f.email, f.phone, f.website, f.notes, f.tags],
  );
  return rows[0]!;
}

export async function getClient(sql: Sql, id: string, forUpdate = false): Promise<ClientRow | null> {
  const { rows } = await sql.query<ClientRow>(
    `SELECT ${CLIENT_COLUMNS} FROM clients c WHERE c.id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

export async function clientExists(sql: Sql, id: string): Promise<boolean> {
  const { rowCount } = await sql.query('SELECT 1 FROM clients WHERE id = $1', [id]);
  return rowCount === 1;
}

/** Applies changed fields; a status change also stamps when the client entered the new status. */
export async function updateClient(sql: Sql, id: string, f: Partial<ClientFields>): Promise<ClientRow> {
  const keys = Object.keys(f) as (keyof ClientFields)[];
  const sets = keys.map((k, i) => `${k} = $${i + 2}`);
  if (f.status !== undefined) sets.push(`${f.status}_at = now()`);
  const { rows } = await sql.query<ClientRow>(
    `UPDATE clients c SET ${sets.join(', ')} WHERE c.id = $1 RETURNING ${CLIENT_COLUMNS}`,
    [id, ...keys.map((k) => f[k])],
  );
  return rows[0]!;
}

/** Archives the client (now) or brings it back (archived false). */
export async function setArchived(sql: Sql, id: string, archived: boolean): Promise<ClientRow> {
  const { rows } = await sql.query<ClientRow>(
    `UPDATE clients c SET archived_at = CASE WHEN $2 THEN now() END WHERE c.id = $1 RETURNING ${CLIENT_COLUMNS}`,
    [id, archived],
  );
  return rows[0]!;
}

export async function deleteClient(sql: Sql, id: string): Promise<void> {
  await sql.query('DELETE FROM clients WHERE id = $1', [id]);
}

const CLIENT_SORT_KEYS: Record<string, SortKey> = {
  createdAt: { expr: 'c.created_at', type: 'timestamptz' },
  updatedAt: { expr: 'c.updated_at', type: 'timestamptz' },
  name: { expr: 'lower(c.name)', type: 'text' },
};

/** The list filters as SQL conditions (shared by the paged list and the export). */
function clientFilter(q: Omit<ClientListQueryType, 'limit' | 'cursor' | 'sort'>): Conditions {
  const w = new Conditions();
  if (q.status) w.add(`c.status = ${w.param(q.status)}`);
  if (q.ownerId) w.add(`c.owner_id = ${w.param(q.ownerId)}`);
  // Archived clients are kept for their history and left out unless asked for.
  w.add(q.archived === true ? 'c.archived_at IS NOT NULL' : 'c.archived_at IS NULL');
  if (q.tag) w.add(`c.tags @> ARRAY[${w.param(q.tag)}]::text[]`);
  if (q.q) w.add(`c.search @@ websearch_to_tsquery('simple', ${w.param(q.q)})`);
  return w;
}

export function listClients(sql: Sql, q: ClientListQueryType): Promise<PageOf<ClientRow>> {
  return keysetList<ClientRow, ClientRow>(sql, {
    select: CLIENT_COLUMNS,
    from: 'clients c',
    idExpr: 'c.id',
    where: clientFilter(q),
    sorts: CLIENT_SORT_KEYS,
    sort: q.sort ?? '-createdAt',
    limit: q.limit ?? 50,
    cursor: q.cursor,
    map: (r) => r,
  });
}

/** Every client matching the filters, oldest first, for exports (the caller streams it). */
export function clientExportQuery(q: Omit<ClientListQueryType, 'limit' | 'cursor' | 'sort'>): {
  text: string;
  values: unknown[];
} {
  const w = clientFilter(q);
  return {
    text: `SELECT ${CLIENT_COLUMNS}, u.email AS owner_email FROM clients c LEFT JOIN users u ON u.id = c.owner_id
      WHERE ${w.sql()} ORDER BY c.created_at, c.id`,
    values: w.params,
  };
}

/** Ids of clients by lower-cased name, for imports that name clients (several ids: ambiguous). */
export async function clientIdsByName(sql: Sql, names: string[]): Promise<Map<string, string[]>> {
  const { rows } = await sql.query<{ key: string; id: string }>(
    'SELECT lower(name) AS key, id FROM clients WHERE lower(name) = ANY($1::text[])',
    [names.map((n) => n.toLowerCase())],
  );
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.key, [...(out.get(r.key) ?? []), r.id]);
  return out;
}

// ---- status history ----------------------------------------------------------------------------

export interface StatusChangeRow {
  id: string;
  from_status: ClientStatus | null;
  to_status: ClientStatus;
  changed_at: Date;
  changed_by: string | null;
}

export async function insertStatusChange(
  sql: Sql,
  c: {
    orgId: string;
    id: string;
    clientId: string;
    from: ClientStatus | null;
    to: ClientStatus;
    by: string | null;
  },
): Promise<void> {
  await sql.query(
    `INSERT INTO client_status_changes (org_id, id, client_id, from_status, to_status, changed_by)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [c.orgId, c.id, c.clientId, c.from, c.to, c.by],
  );
}

export async function statusHistory(sql: Sql, clientId: string): Promise<StatusChangeRow[]> {
  const { rows } = await sql.query<StatusChangeRow>(
    `SELECT id, from_status, to_status, changed_at, changed_by FROM client_status_changes
     WHERE client_id = $1 ORDER BY changed_at, id`,
    [clientId],
  );
  return rows;
}

// ---- contacts ----------------------------------------------------------------------------------

export interface ContactRow {
  id: string;
  client_id: string;
  name: string;
  title: string;
  email: string | null;
  phone: string | null;
  whatsapp: string | null;
  messaging_consent: boolean;
  consent_at: Date | null;
  consent_source: string | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export const CONTACT_EDITABLE = [
  'name',
  'title',
  'email',
  'phone',
  'whatsapp',
  'messaging_consent',
  'consent_at',
  'consent_source',
] as const;
export type ContactFields = Pick<ContactRow, (typeof CONTACT_EDITABLE)[number]>;

export async function insertContact(
  sql: Sql,
  orgId: string,
  id: string,
  clientId: string,
  f: ContactFields,
): Promise<ContactRow> {
  const { rows } = await sql.query<ContactRow>(
    `INSERT INTO client_contacts (org_id, id, client_id, name, title, email, phone, whatsapp,
       messaging_consent, consent_at, consent_source)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *`,
    [
      orgId,
      id,
      clientId,
      f.name,
      f.title,
      f.email,
      f.phone,
      f.whatsapp,
      f.messaging_consent,
      f.consent_at,
      f.consent_source,
    ],
  );
  return rows[0]!;
}

export async function listContacts(sql: Sql, clientId: string): Promise<ContactRow[]> {
  const { rows } = await sql.query<ContactRow>(
    'SELECT * FROM client_contacts WHERE client_id = $1 ORDER BY lower(name), id',
    [clientId],
  );
  return rows;
}

export async function getContact(
  sql: Sql,
  clientId: string,
  id: string,
  forUpdate = false,
): Promise<ContactRow | null> {
  const { rows } = await sql.query<ContactRow>(
    `SELECT * FROM client_contacts WHERE client_id = $1 AND id = $2 ${forUpdate ? 'FOR UPDATE' : ''}`,
    [clientId, id],
  );
  return rows[0] ?? null;
}

export async function updateContact(sql: Sql, id: string, f: Partial<ContactFields>): Promise<ContactRow> {
  const keys = Object.keys(f) as (keyof ContactFields)[];
  const { rows } = await sql.query<ContactRow>(
    `UPDATE client_contacts SET ${keys.map((k, i) => `${k} = $${i + 2}`).join(', ')} WHERE id = $1 RETURNING *`,
    [id, ...keys.map((k) => f[k])],
  );
  return rows[0]!;
}

export async function deleteContact(sql: Sql, id: string): Promise<void> {
  await sql.query('DELETE FROM client_contacts WHERE id = $1', [id]);
}
