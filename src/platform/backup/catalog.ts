// What a backup contains, read from the database's own catalogue: the tables of `public` (minus the
// machinery that is never backed up), their non-generated columns, primary and foreign keys, the
// order that puts parents before children, and the sequences to carry over.
import type pg from 'pg';

export interface TableInfo {
  name: string;
  /** Non-generated columns, in attnum order (generated columns are recomputed on load). */
  columns: string[];
  pk: string[];
  /** Has org_id (organizations: its id is the organization). */
  orgScoped: boolean;
  fks: { columns: string[]; refTable: string; refColumns: string[] }[];
  hasIdentityAlways: boolean;
}

export interface SchemaCatalog {
  /** FK order: parents first. */
  tables: TableInfo[];
  /** The last applied migration, e.g. "0024_backups". */
  schemaVersion: string;
  sequences: string[];
  /** The table owning each sequence (serial / identity), or null for a standalone one. */
  sequenceOwners: Record<string, string | null>;
}

/** Never backed up: the backups' own bookkeeping and short-lived machinery. Any `backup_*` table too. */
export const EXCLUDED_TABLES: readonly string[] = [
  'backup_runs',
  'backup_schedules',
  'backup_restores',
  'backup_settings',
  'backup_tombstones',
  'bul_schema_migrations',
  'bul_ticks',
  'bul_job_workers',
  'rate_limit_counters',
  'rate_limits',
  'monitoring_rollup_marks',
  // The organizations' change counter of the cache's data version (migration 0025): a restore keeps
  // the current, higher value, so versions never come back.
  'bul_data_changes',
];

/**
 * Append-only records and sign-in machinery: a whole restore brings them back, a restore of one
 * organization or of chosen tables never touches them. Any `domain_event_*` / `health_check*` too.
 */
export const NEVER_PARTIAL_RESTORE: readonly string[] = [
  'audit_events',
  'audit_chain_heads',
  'domain_events',
  'domain_event_cursors',
  'domain_event_deliveries',
  'domain_event_heads',
  'monitoring_samples',
  'monitoring_rollups',
  'health_checks',
  'health_check_results',
  'health_check_hours',
  'sessions',
  'refresh_tokens',
];

export const isExcludedTable = (name: string): boolean =>
  name.startsWith('backup_') || EXCLUDED_TABLES.includes(name);

export const isNeverPartialRestore = (name: string): boolean =>
  NEVER_PARTIAL_RESTORE.includes(name) || name.startsWith('domain_event_') || name.startsWith('health_check');

/**
 * What an organization's restore leaves as it is besides NEVER_PARTIAL_RESTORE: what the platform
 * controls or counts for that organization — its plan, status and MFA rule (the organizations row
 * is only inserted when missing, never rewound), its usage counters (quotas), its security records
 * (lockouts, login history, threats). An organization admin must not roll those back.
 */
export const isOutsideOrganizationRestore = (name: string): boolean =>
  isNeverPartialRestore(name) || name === 'usage_counters' || name.startsWith('security_');

/** A double-quoted identifier. */
export const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;

export async function readSchemaVersion(client: pg.ClientBase): Promise<string> {
  const { rows } = await client.query<{ version: number; name: string }>(
    'SELECT version, name FROM bul_schema_migrations ORDER BY version DESC LIMIT 1',
  );
  const r = rows[0];
  return r ? `${String(r.version).padStart(4, '0')}_${r.name}` : '';
}

export async function readCatalog(client: pg.ClientBase): Promise<SchemaCatalog> {
  const { rows: tableRows } = await client.query<{
    name: string;
    columns: string[];
    generated: string[];
    identity_always: boolean;
    pk: string[] | null;
  }>(`
    SELECT c.relname AS name,
      array(SELECT a.attname FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0
        AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum)::text[] AS columns,
      array(SELECT a.attname FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0
        AND NOT a.attisdropped AND a.attgenerated <> '' ORDER BY a.attnum)::text[] AS generated,
      EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attidentity = 'a') AS identity_always,
      (SELECT array_agg(a.attname ORDER BY k.ord)::text[] FROM pg_index i
        CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
        WHERE i.indrelid = c.oid AND i.indisprimary) AS pk
    FROM pg_class c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
    ORDER BY c.relname`);
  const { rows: fkRows } = await client.query<{
    table: string;
    ref_table: string;
    columns: string[];
    ref_columns: string[];
  }>(`
    SELECT c.conrelid::regclass::text AS table, c.confrelid::regclass::text AS ref_table,
      array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, o)
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o)::text[] AS columns,
      array(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, o)
        JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.o)::text[] AS ref_columns
    FROM pg_constraint c
    WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
    ORDER BY c.conname`);

  const tables = new Map<string, TableInfo>();
  for (const r of tableRows) {
    if (isExcludedTable(r.name)) continue;
    if (!r.pk) throw new Error(`table ${r.name} has no primary key; backups need one`);
    tables.set(r.name, {
      name: r.name,
      columns: r.columns,
      pk: r.pk,
      orgScoped: r.name === 'organizations' || r.columns.includes('org_id'),
      fks: [],
      hasIdentityAlways: r.identity_always,
    });
  }
  for (const fk of fkRows) {
    const t = tables.get(fk.table);
    if (t) t.fks.push({ columns: fk.columns, refTable: fk.ref_table, refColumns: fk.ref_columns });
  }

  const { rows: seqRows } = await client.query<{ name: string; owner: string | null }>(`
    SELECT s.relname AS name,
      (SELECT t.relname FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
        WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.refclassid = 'pg_class'::regclass
          AND d.deptype IN ('a', 'i') LIMIT 1) AS owner
    FROM pg_class s WHERE s.relnamespace = 'public'::regnamespace AND s.relkind = 'S' ORDER BY s.relname`);
  const kept = seqRows.filter((s) => !(s.owner && isExcludedTable(s.owner)));
  const sequences = kept.map((s) => s.name);
  const sequenceOwners = Object.fromEntries(kept.map((s) => [s.name, s.owner ?? null]));

  return {
    tables: fkOrder([...tables.values()]),
    schemaVersion: await readSchemaVersion(client),
    sequences,
    sequenceOwners,
  };
}

/** Parents before children (self-references ignored; a cycle, which BUL has none of, keeps name order). */
export function fkOrder(tables: TableInfo[]): TableInfo[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const out: TableInfo[] = [];
  const visit = (t: TableInfo) => {
    if (done.has(t.name) || visiting.has(t.name)) return;
    visiting.add(t.name);
    for (const fk of t.fks) {
      const parent = byName.get(fk.refTable);
      if (parent && parent !== t) visit(parent);
    }
    visiting.delete(t.name);
    done.add(t.name);
    out.push(t);
  };
  for (const t of [...tables].sort((a, b) => a.name.localeCompare(b.name))) visit(t);
  return out;
}
