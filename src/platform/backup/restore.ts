// restoreBackup(): a chain restored into the live database, in one transaction. The chain's state
// of each table in scope is rebuilt in a temp table (the full, then each link's tombstones and
// rows), compared with the live rows by primary key and row text (added / changed / removed /
// unchanged), and, unless it is a dry run, applied: deletes children first, upserts parents first,
// with bul.restoring on so the stamping triggers keep the backed-up values.
//
// Scopes: all (every table of the backup, sequences too), chosen tables, or one organization (its
// rows in the org-scoped tables that may be restored partially, plus the users its rows refer to
// that the database lacks: inserted, never overwritten; other organizations are not touched).
import pg from 'pg';
import {
  applyLinkToTable,
  checkSchemaVersion,
  copyPartInto,
  loadTombstones,
  type OpenedLink,
  openChain,
  tableOf,
  upsertSql,
} from './apply.ts';
import { ident, isOutsideOrganizationRestore, readCatalog, type TableInfo } from './catalog.ts';
import { BackupError } from './errors.ts';
import { restoreFiles } from './files.ts';
import type { KeySource } from './keys.ts';
import type { BackupManifest } from './manifest.ts';
import { readPart } from './part-codec.ts';
import type { BackupTarget } from './targets/target.ts';

export type RestoreScope =
  | { kind: 'all' }
  | { kind: 'tables'; tables: string[] }
  | { kind: 'organization'; orgId: string };

export interface TableChange {
  table: string;
  added: number;
  changed: number;
  removed: number;
  unchanged: number;
}

export interface RestoreReport {
  backupId: string;
  /** ids applied, full first */
  chain: string[];
  scope: RestoreScope;
  dryRun: boolean;
  tables: TableChange[];
  files: { written: number; bytes: number };
  durationMs: number;
}

export interface RestoreOptions {
  ownerUrl: string;
  target: BackupTarget;
  keySource: KeySource;
  installationId: string;
  /** full first, then each incremental / the differential (resolveChain). */
  chain: BackupManifest[];
  scope: RestoreScope;
  dryRun: boolean;
  filesRoot?: string | null;
  /** Called after the dry run and before anything changes (the safety backup); throwing aborts. */
  beforeApply?: (report: RestoreReport) => Promise<void>;
  onProgress?: (p: {
    phase: 'reading' | 'comparing' | 'applying' | 'done';
    tablesDone: number;
    tablesTotal: number;
  }) => void;
}

/** The chain ending at `id`: its full first. A missing link is chain_broken. */
export async function resolveChain(
  loadManifest: (id: string) => Promise<BackupManifest>,
  id: string,
): Promise<BackupManifest[]> {
  const chain: BackupManifest[] = [];
  let next: string | null = id;
  while (next) {
    let m: BackupManifest;
    try {
      m = await loadManifest(next);
    } catch (err) {
      if (chain.length && err instanceof BackupError && err.code === 'part_missing') {
        throw new BackupError(
          'chain_broken',
          `backup ${next}, on which ${chain[0]!.id} depends, is missing`,
          {
            backupId: next,
          },
        );
      }
      throw err;
    }
    chain.unshift(m);
    if (m.type === 'full' || m.type === 'critical') return chain;
    if (chain.length > 10_000) break;
    next = m.parentId;
  }
  throw new BackupError('chain_broken', `the chain of backup ${id} does not start with a full backup`, {
    backupId: id,
  });
}

interface Scoped {
  t: TableInfo;
  temp: string;
  /** Only inserts of rows the database lacks (the users an organization refers to). */
  insertOnly?: boolean;
}

const cols = (t: TableInfo, alias: string) => t.columns.map((c) => `${alias}.${ident(c)}`).join(', ');
const pkJoin = (t: TableInfo, a: string, b: string) =>
  t.pk.map((c) => `${a}.${ident(c)} = ${b}.${ident(c)}`).join(' AND ');
// Byte-image comparison of the rows (record_image_eq: exact like the backup's checksums, NULLs
// equal, no text conversion).
const differs = (t: TableInfo) => `NOT (ROW(${cols(t, 's')})::record *= ROW(${cols(t, 'l')})::record)`;

export async function restoreBackup(o: RestoreOptions): Promise<RestoreReport> {
  const started = Date.now();
  const links = await openChain(o.chain, o.keySource, o.installationId);
  const base = links[0]!;
  const client = new pg.Client({ connectionString: o.ownerUrl, application_name: 'bul-restore' });
  client.on('error', () => {});
  await client.connect();
  try {
    // The chain's state lives in temp tables: give them memory (only settable before the first one).
    await client.query(`SET temp_buffers = '256MB'`);
    await client.query(`SET work_mem = '64MB'`);
    const catalog = await readCatalog(client);
    checkSchemaVersion(catalog.schemaVersion, base.manifest.schemaVersion);
    const inBackup = (name: string) => tableOf(base.manifest, name) !== undefined;
    const known = catalog.tables.filter((t) => inBackup(t.name));
    let chosen: TableInfo[];
    const scope = o.scope;
    if (scope.kind === 'all') chosen = known;
    else if (scope.kind === 'tables') {
      const unknown = scope.tables.filter((n) => !known.some((t) => t.name === n));
      if (unknown.length) throw new Error(`tables not in backup ${base.manifest.id}: ${unknown.join(', ')}`);
      chosen = known.filter((t) => scope.tables.includes(t.name));
    } else {
      if (!/^[0-9a-f-]{36}$/i.test(scope.orgId)) throw new Error(`not an organization id: ${scope.orgId}`);
      chosen = known.filter(
        (t) => t.orgScoped && t.name !== 'organizations' && !isOutsideOrganizationRestore(t.name),
      );
    }
    const scoped: Scoped[] = chosen.map((t, i) => ({ t, temp: `bk_s_${i}` }));
    const org = scope.kind === 'organization' ? client.escapeLiteral(scope.orgId) : null;
    if (org) {
      const users = known.find((t) => t.name === 'users');
      if (users) scoped.unshift({ t: users, temp: 'bk_s_users', insertOnly: true });
      // The organization's own row comes back if it was deleted, but is never rewound (plan, status).
      const organizations = known.find((t) => t.name === 'organizations');
      if (organizations) scoped.unshift({ t: organizations, temp: 'bk_s_organizations', insertOnly: true });
    }
    /** The scope's rows of a table (alias a). */
    const inScope = (s: Scoped, a: string) =>
      !org || (s.insertOnly && s.t.name !== 'organizations')
        ? 'true'
        : `${a}.${ident(s.t.name === 'organizations' ? 'id' : 'org_id')} = ${org}`;

    // 1. The chain's state of each table, in temp tables.
    const progress = (phase: 'reading' | 'comparing' | 'applying' | 'done', tablesDone: number) =>
      o.onProgress?.({ phase, tablesDone, tablesTotal: scoped.length });
    progress('reading', 0);
    for (const [i, s] of scoped.entries()) {
      const mt = tableOf(base.manifest, s.t.name)!;
      await client.query(
        `CREATE TEMP TABLE ${s.temp} AS SELECT ${s.t.columns.map(ident).join(', ')} FROM public.${ident(s.t.name)} WITH NO DATA`,
      );
      if (mt.rows > 0) await copyPartInto(client, o.target, base, mt, s.temp);
      await client.query(`ALTER TABLE ${s.temp} ADD PRIMARY KEY (${s.t.pk.map(ident).join(', ')})`);
      progress('reading', i + 1);
    }
    for (const link of links.slice(1)) {
      await loadTombstones(client, o.target, link);
      for (const s of scoped) {
        if (tableOf(link.manifest, s.t.name)) await applyLinkToTable(client, o.target, link, s.t, s.temp);
      }
    }
    for (const s of scoped) await client.query(`ANALYZE ${s.temp}`);

    // Users an organization's rows refer to (through any foreign key to users).
    let userFilter = 'false';
    if (org) {
      const refs: string[] = [];
      for (const s of scoped) {
        if (s.insertOnly) continue;
        for (const fk of s.t.fks) {
          if (fk.refTable !== 'users' || fk.columns.length !== 1) continue;
          refs.push(`SELECT ${ident(fk.columns[0]!)} FROM ${s.temp} WHERE ${inScope(s, s.temp)}`);
        }
      }
      if (refs.length) userFilter = `s.id IN (${refs.join(' UNION ')})`;
    }
    /** The rows an insert-only table brings back when missing (alias s). */
    const insertFilter = (x: Scoped) => (x.t.name === 'users' ? userFilter : `s.id = ${org}`);

    // 2. The differences.
    progress('comparing', 0);
    const report: RestoreReport = {
      backupId: links[links.length - 1]!.manifest.id,
      chain: links.map((l) => l.manifest.id),
      scope: o.scope,
      dryRun: o.dryRun,
      tables: [],
      files: { written: 0, bytes: 0 },
      durationMs: 0,
    };
    for (const [i, s] of scoped.entries()) {
      const t = s.t;
      const sFilter = s.insertOnly ? insertFilter(s) : inScope(s, 's');
      const { rows } = await client.query<{
        added: string;
        removed: string;
        changed: string;
        unchanged: string;
      }>(
        `SELECT count(*) FILTER (WHERE l.present IS NULL)::text AS added,
                count(*) FILTER (WHERE s.present IS NULL)::text AS removed,
                count(*) FILTER (WHERE s.present AND l.present AND ${differs(t)})::text AS changed,
                count(*) FILTER (WHERE s.present AND l.present AND NOT (${differs(t)}))::text AS unchanged
         FROM (SELECT ${cols(t, 's')}, true AS present FROM ${s.temp} s WHERE ${sFilter}) s
         FULL JOIN (SELECT ${cols(t, 'l')}, true AS present FROM public.${ident(t.name)} l
           WHERE ${s.insertOnly ? 'false' : inScope(s, 'l')}) l ON ${pkJoin(t, 's', 'l')}`,
      );
      const r = rows[0]!;
      const change: TableChange = {
        table: t.name,
        added: Number(r.added),
        changed: s.insertOnly ? 0 : Number(r.changed),
        removed: s.insertOnly ? 0 : Number(r.removed),
        unchanged: Number(r.unchanged),
      };
      if (s.insertOnly) {
        // Referenced users, the organization's row: added = missing from the database, the others
        // stay as they are.
        const { rows: u } = await client.query<{ added: string; present: string }>(
          `SELECT count(*) FILTER (WHERE l.id IS NULL)::text AS added, count(l.id)::text AS present
           FROM ${s.temp} s LEFT JOIN public.${ident(t.name)} l ON l.id = s.id WHERE ${insertFilter(s)}`,
        );
        change.added = Number(u[0]!.added);
        change.unchanged = Number(u[0]!.present);
      }
      report.tables.push(change);
      progress('comparing', i + 1);
    }
    if (o.dryRun) {
      report.durationMs = Date.now() - started;
      progress('done', scoped.length);
      return report;
    }
    await o.beforeApply?.(report);

    // 3. Apply, all or nothing.
    progress('applying', 0);
    await client.query('BEGIN');
    try {
      await client.query(`SET LOCAL bul.restoring = 'on'`);
      for (const s of [...scoped].reverse()) {
        if (s.insertOnly) continue;
        await client.query(
          `DELETE FROM public.${ident(s.t.name)} l WHERE ${inScope(s, 'l')}
           AND NOT EXISTS (SELECT 1 FROM ${s.temp} s WHERE ${pkJoin(s.t, 's', 'l')})`,
        );
      }
      for (const [i, s] of scoped.entries()) {
        const t = s.t;
        if (s.insertOnly) {
          await client.query(
            `INSERT INTO public.${ident(t.name)} AS x (${t.columns.map(ident).join(', ')}) SELECT ${cols(t, 's')}
             FROM ${s.temp} s WHERE ${insertFilter(s)} ON CONFLICT DO NOTHING`,
          );
        } else {
          await client.query(
            upsertSql(
              t,
              `public.${ident(t.name)}`,
              s.temp,
              `LEFT JOIN public.${ident(t.name)} l ON ${pkJoin(t, 's', 'l')}
               WHERE ${inScope(s, 's')} AND (l.${ident(t.pk[0]!)} IS NULL OR ${differs(t)})`,
            ),
          );
        }
        progress('applying', i + 1);
      }
      if (scope.kind === 'all') {
        const last = links[links.length - 1]!.manifest;
        for (const seq of last.sequences) {
          if (!catalog.sequences.includes(seq.name)) continue;
          await client.query('SELECT setval($1::regclass, $2::bigint, $3)', [
            `public.${ident(seq.name)}`,
            seq.value,
            seq.isCalled,
          ]);
        }
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }

    // 4. Files of the attachments in scope (after the commit: the rows are the source of truth).
    if (o.filesRoot && scoped.some((s) => s.t.name === 'task_attachments')) {
      report.files = await restoreScopedFiles(o, links, scope);
    }
    report.durationMs = Date.now() - started;
    progress('done', scoped.length);
    return report;
  } finally {
    await client.end().catch(() => {});
  }
}

async function restoreScopedFiles(
  o: RestoreOptions,
  links: OpenedLink[],
  scope: RestoreScope,
): Promise<{ written: number; bytes: number }> {
  const total = { written: 0, bytes: 0 };
  for (const link of links) {
    const part = link.manifest.parts.find((p) => p.kind === 'files');
    if (!part) continue;
    const source = await readPart({ target: o.target, key: link.key, backupId: link.manifest.id }, part);
    const r = await restoreFiles(
      source,
      o.filesRoot!,
      (e) => scope.kind !== 'organization' || e.org === scope.orgId,
    );
    total.written += r.written;
    total.bytes += r.bytes;
  }
  return total;
}
