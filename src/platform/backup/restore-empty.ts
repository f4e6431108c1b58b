// restoreIntoEmpty(): the fast load, for a database freshly migrated to the chain's schema and
// holding nothing else (verification, drills, disaster recovery, the bench). Like pg_restore it
// loads first and indexes after: the loaded tables lose their foreign keys, unique constraints,
// indexes and primary keys, each table is emptied and loaded with COPY ... FREEZE in its own
// transaction on one of `jobs` connections (no hint-bit rewrite later), then the primary keys come
// back (needed to replay incrementals), the chain's links are replayed, and the other indexes and
// the foreign keys are rebuilt in parallel (foreign keys added NOT VALID, then validated in
// parallel, which does not lock the referenced tables against each other).
import pg from 'pg';
import {
  applyLinkToTable,
  checkSchemaVersion,
  copyPartInto,
  loadTombstones,
  openChain,
  tableOf,
} from './apply.ts';
import { ident, readCatalog, type TableInfo } from './catalog.ts';
import { BackupError } from './errors.ts';
import { restoreFiles } from './files.ts';
import type { KeySource } from './keys.ts';
import type { BackupManifest } from './manifest.ts';
import { readPart } from './part-codec.ts';
import type { BackupTarget } from './targets/target.ts';

export interface RestoreIntoEmptyOptions {
  databaseUrl: string;
  target: BackupTarget;
  keySource: KeySource;
  installationId: string;
  chain: BackupManifest[];
  jobs?: number;
  filesRoot?: string | null;
  onProgress?: (p: { tablesDone: number; tablesTotal: number; rows: number }) => void;
  /** Each step's duration (load, keys, links, indexes, foreign keys, …), for drills and benches. */
  onStep?: (step: string, ms: number) => void;
}

interface Definition {
  table: string;
  name: string;
  kind: 'pk' | 'unique' | 'index' | 'fk';
  /** The statement that recreates it. */
  create: string;
  drop: string;
  validate?: string;
  refTable?: string;
}

async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: 'bul-restore' });
  c.on('error', () => {});
  await c.connect();
  // Restored rows keep their stamps (bul_touch, completed_by, the audit chain: migration 0023).
  await c.query(`SET bul.restoring = 'on'`);
  await c.query('SET synchronous_commit = off');
  await c.query(`SET maintenance_work_mem = '256MB'`);
  return c;
}

/** Runs `work` over `items` on the connections, each taking the next item. */
async function parallel<T>(
  clients: pg.Client[],
  items: T[],
  work: (c: pg.Client, item: T) => Promise<void>,
): Promise<void> {
  const queue = [...items];
  let failed = false;
  const results = await Promise.allSettled(
    clients.map(async (c) => {
      for (let item = queue.shift(); item !== undefined && !failed; item = queue.shift()) {
        try {
          await work(c, item);
        } catch (err) {
          failed = true;
          throw err;
        }
      }
    }),
  );
  const rejected = results.find((r) => r.status === 'rejected');
  if (rejected) throw (rejected as PromiseRejectedResult).reason;
}

async function readDefinitions(c: pg.Client, tables: string[]): Promise<Definition[]> {
  const { rows: cons } = await c.query<{
    table: string;
    name: string;
    contype: string;
    def: string;
    validated: boolean;
    ref_table: string | null;
  }>(
    `SELECT r.relname AS table, f.relname AS ref_table, k.conname AS name, k.contype::text AS contype, pg_get_constraintdef(k.oid) AS def,
       k.convalidated AS validated
     FROM pg_constraint k JOIN pg_class r ON r.oid = k.conrelid
     LEFT JOIN pg_class f ON f.oid = k.confrelid
     WHERE k.connamespace = 'public'::regnamespace AND k.contype IN ('p', 'u', 'x', 'f')
       AND (r.relname = ANY($1) OR (k.contype = 'f' AND f.relname = ANY($1)))`,
    [tables],
  );
  const { rows: idx } = await c.query<{ table: string; name: string; def: string }>(
    `SELECT r.relname AS table, i.relname AS name, pg_get_indexdef(x.indexrelid) AS def
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class r ON r.oid = x.indrelid
     WHERE r.relnamespace = 'public'::regnamespace AND r.relname = ANY($1)
       AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.contype IN ('p', 'u', 'x'))`,
    [tables],
  );
  const out: Definition[] = [];
  for (const k of cons) {
    const alter = `ALTER TABLE public.${ident(k.table)}`;
    const kind = k.contype === 'p' ? 'pk' : k.contype === 'f' ? 'fk' : 'unique';
    out.push({
      table: k.table,
      name: k.name,
      kind,
      create:
        kind === 'fk'
          ? `${alter} ADD CONSTRAINT ${ident(k.name)} ${k.def} NOT VALID`
          : `${alter} ADD CONSTRAINT ${ident(k.name)} ${k.def}`,
      drop: `${alter} DROP CONSTRAINT ${ident(k.name)}`,
      ...(kind === 'fk' && k.validated ? { validate: `${alter} VALIDATE CONSTRAINT ${ident(k.name)}` } : {}),
      ...(k.ref_table ? { refTable: k.ref_table } : {}),
    });
  }
  for (const i of idx) {
    out.push({
      table: i.table,
      name: i.name,
      kind: 'index',
      create: i.def,
      drop: `DROP INDEX public.${ident(i.name)}`,
    });
  }
  return out;
}

export async function restoreIntoEmpty(
  o: RestoreIntoEmptyOptions,
): Promise<{ rows: number; durationMs: number }> {
  const started = Date.now();
  const links = await openChain(o.chain, o.keySource, o.installationId);
  const base = links[0]!;
  const jobs = Math.max(1, o.jobs ?? 2);
  let mark = Date.now();
  const step = (name: string) => {
    const now = Date.now();
    o.onStep?.(name, now - mark);
    mark = now;
  };
  const admin = await connect(o.databaseUrl);
  const loaders: pg.Client[] = [];
  try {
    const catalog = await readCatalog(admin);
    checkSchemaVersion(catalog.schemaVersion, base.manifest.schemaVersion);
    // It truncates every table it loads with triggers off: only ever into a database without data.
    const { rows: used } = await admin.query<{ used: boolean }>(
      'SELECT EXISTS (SELECT 1 FROM organizations) OR EXISTS (SELECT 1 FROM users) AS used',
    );
    if (used[0]!.used) {
      throw new BackupError(
        'database_not_empty',
        'the database to load into already holds organizations or users: a load into an empty database only goes into a freshly migrated one (restore into a live database instead)',
      );
    }
    const tables: TableInfo[] = [];
    for (const mt of base.manifest.tables) {
      const t = catalog.tables.find((x) => x.name === mt.name);
      if (!t || t.columns.join(',') !== mt.columns.join(',')) {
        throw new BackupError(
          'manifest_invalid',
          `table ${mt.name} of the backup does not match the database's (${t ? 'other columns' : 'missing'})`,
        );
      }
      tables.push(t);
    }
    const names = tables.map((t) => t.name);
    for (let i = 0; i < jobs; i++) loaders.push(await connect(o.databaseUrl));

    // Take the loaded tables apart (one transaction: all or nothing).
    const defs = await readDefinitions(admin, names);
    await admin.query('BEGIN');
    for (const d of defs.filter((x) => x.kind === 'fk')) await admin.query(d.drop);
    for (const d of defs.filter((x) => x.kind === 'unique' || x.kind === 'index')) await admin.query(d.drop);
    for (const d of defs.filter((x) => x.kind === 'pk')) await admin.query(d.drop);
    // Triggers stay off while loading: no per-row work, no tombstones for the emptying TRUNCATEs.
    for (const n of names) await admin.query(`ALTER TABLE public.${ident(n)} DISABLE TRIGGER USER`);
    await admin.query('COMMIT');
    step('prepare');

    let rows = 0;
    let tablesDone = 0;
    const total = tables.length;
    o.onProgress?.({ tablesDone, tablesTotal: total, rows });
    const bySize = [...base.manifest.tables].sort((a, b) => {
      const size = (n: string) => base.manifest.parts.find((p) => p.name === n)?.plainBytes ?? 0;
      return size(b.part) - size(a.part);
    });
    await parallel(loaders, bySize, async (c, mt) => {
      await c.query('BEGIN');
      await c.query(`TRUNCATE public.${ident(mt.name)}`);
      const n =
        mt.rows > 0
          ? await copyPartInto(c, o.target, base, mt, `public.${ident(mt.name)}`, { freeze: true })
          : 0;
      rows += n;
      await c.query('COMMIT');
      tablesDone++;
      o.onProgress?.({ tablesDone, tablesTotal: total, rows });
    });
    step('load');

    // Primary keys first: the links' upserts need them.
    await parallel(
      loaders,
      defs.filter((d) => d.kind === 'pk'),
      (c, d) => c.query(d.create).then(() => {}),
    );
    step('primary keys');
    for (const link of links.slice(1)) {
      await loadTombstones(admin, o.target, link);
      for (const t of tables) {
        if (!tableOf(link.manifest, t.name)) continue;
        await applyLinkToTable(admin, o.target, link, t, `public.${ident(t.name)}`);
      }
    }
    step('links');
    await parallel(
      loaders,
      defs.filter((d) => d.kind === 'unique' || d.kind === 'index'),
      (c, d) => c.query(d.create).then(() => {}),
    );
    step('indexes');
    const fks = defs.filter((d) => d.kind === 'fk');
    for (const d of fks) await admin.query(d.create);
    // A foreign key to or from a table the backup does not hold (a critical backup) stays NOT VALID.
    const loaded = new Set(names);
    await parallel(
      loaders,
      fks.filter((d) => d.validate && loaded.has(d.table) && (!d.refTable || loaded.has(d.refTable))),
      (c, d) => c.query(d.validate!).then(() => {}),
    );
    for (const n of names) await admin.query(`ALTER TABLE public.${ident(n)} ENABLE TRIGGER USER`);
    step('foreign keys');

    // Sequences as the newest link saw them.
    const last = links[links.length - 1]!.manifest;
    for (const s of last.sequences) {
      if (!catalog.sequences.includes(s.name)) continue;
      await admin.query('SELECT setval($1::regclass, $2::bigint, $3)', [
        `public.${ident(s.name)}`,
        s.value,
        s.isCalled,
      ]);
    }

    if (o.filesRoot) {
      for (const link of links) {
        const part = link.manifest.parts.find((p) => p.kind === 'files');
        if (!part) continue;
        await restoreFiles(
          await readPart({ target: o.target, key: link.key, backupId: link.manifest.id }, part),
          o.filesRoot,
        );
      }
    }
    if (links.length > 1) {
      const { rows: counted } = await admin.query<{ n: string }>(
        `SELECT (${names.map((n) => `(SELECT count(*) FROM public.${ident(n)})`).join(' + ')})::text AS n`,
      );
      rows = Number(counted[0]!.n);
    }
    return { rows, durationMs: Date.now() - started };
  } finally {
    await Promise.all([admin, ...loaders].map((c) => c.end().catch(() => {})));
  }
}
