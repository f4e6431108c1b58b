// What both restores share: opening a chain (keys, MACs, links, installation), the schema-version
// check, loading a part into a table with COPY FROM (checking its rows and checksum against the
// manifest on the way), and replaying one incremental/differential link onto tables that hold
// the state before it: tombstones (and TRUNCATE markers) first, then upserts of its rows.

import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { RowHasher } from './binary-rows.ts';
import { ident, type TableInfo } from './catalog.ts';
import { BackupError } from './errors.ts';
import { deriveBackupKey, type KeySource, keyCheck } from './keys.ts';
import { type BackupManifest, type ManifestTable, sameBase64, signManifest } from './manifest.ts';
import { readPart } from './part-codec.ts';
import type { BackupTarget } from './targets/target.ts';

export interface OpenedLink {
  manifest: BackupManifest;
  key: Buffer;
}

/** Checks each manifest (installation, key check, MAC) and that each links to the one before. */
export async function openChain(
  chain: BackupManifest[],
  keySource: KeySource,
  installationId: string,
): Promise<OpenedLink[]> {
  if (!chain.length) throw new BackupError('chain_broken', 'no backup to restore');
  const first = chain[0]!;
  if (first.type !== 'full' && first.type !== 'critical') {
    throw new BackupError(
      'chain_broken',
      `a restore starts from a full backup, not ${first.type} ${first.id}`,
    );
  }
  const out: OpenedLink[] = [];
  for (const [i, m] of chain.entries()) {
    if (m.installationId !== installationId) {
      throw new BackupError(
        'foreign_installation',
        `backup ${m.id} belongs to installation ${m.installationId}, not this one (${installationId})`,
        { backupId: m.id },
      );
    }
    if (i > 0) {
      const prev = chain[i - 1]!;
      if ((m.type !== 'incremental' && m.type !== 'differential') || m.parentId !== prev.id) {
        throw new BackupError(
          'chain_broken',
          `backup ${m.id} (${m.type}) does not follow ${prev.id} in the chain`,
          {
            backupId: m.id,
          },
        );
      }
      if (m.schemaVersion !== first.schemaVersion) {
        throw new BackupError(
          'chain_broken',
          `backup ${m.id} has schema ${m.schemaVersion}, its full ${first.schemaVersion}`,
        );
      }
    }
    const key = await deriveBackupKey(keySource, m.kdf);
    if (!sameBase64(keyCheck(key), m.keyCheck)) {
      throw new BackupError(
        'wrong_key',
        `the key does not open backup ${m.id} (wrong passphrase or key file)`,
        {
          backupId: m.id,
        },
      );
    }
    const { mac: _mac, ...rest } = m;
    if (!sameBase64(signManifest(rest, key).mac, m.mac)) {
      throw new BackupError(
        'manifest_tampered',
        `the manifest of backup ${m.id} was altered after it was written`,
        {
          backupId: m.id,
        },
      );
    }
    out.push({ manifest: m, key });
  }
  return out;
}

/** Refuses a backup whose schema is not exactly the database's (names both). */
export function checkSchemaVersion(database: string, backup: string): void {
  if (database === backup) return;
  if (backup > database) {
    throw new BackupError(
      'newer_schema',
      `the backup has schema ${backup}, newer than the database's ${database}: upgrade BUL (and migrate) first`,
      { backupSchema: backup, databaseSchema: database },
    );
  }
  throw new BackupError(
    'older_schema',
    `the backup has schema ${backup}, older than the database's ${database}: restore it with the BUL version that wrote it, or into a database migrated to ${backup}`,
    { backupSchema: backup, databaseSchema: database },
  );
}

export function tableOf(m: BackupManifest, name: string): ManifestTable | undefined {
  return m.tables.find((t) => t.name === name);
}

/**
 * COPY a table part into `into` (a table with the part's columns). Checks rows and checksum against
 * the manifest; the part's own SHA-256 and tags are checked by readPart before it ends.
 */
export async function copyPartInto(
  client: pg.ClientBase,
  target: BackupTarget,
  link: OpenedLink,
  table: ManifestTable,
  into: string,
  opts: { freeze?: boolean } = {},
): Promise<number> {
  const part = link.manifest.parts.find((p) => p.name === table.part);
  if (!part)
    throw new BackupError('part_missing', `the manifest of ${link.manifest.id} lists no part ${table.part}`, {
      part: table.part,
    });
  const source = await readPart({ target, key: link.key, backupId: link.manifest.id }, part);
  const hasher = new RowHasher();
  const sql = `COPY ${into} (${table.columns.map(ident).join(', ')}) FROM STDIN (FORMAT binary${opts.freeze ? ', FREEZE' : ''})`;
  const sink = client.query(copyStreams.from(sql));
  await pipeline(source, hasher, sink);
  const s = hasher.summary;
  if (s.rows !== table.rows || s.checksum !== table.checksum) {
    throw new BackupError(
      'part_corrupt',
      `part ${part.name}: ${s.rows} rows with checksum ${s.checksum}, the manifest says ${table.rows} with ${table.checksum}`,
      { part: part.name },
    );
  }
  return s.rows;
}

/** Loads a link's tombstones into the session's temp table bk_tombstones (emptied first). */
export async function loadTombstones(
  client: pg.ClientBase,
  target: BackupTarget,
  link: OpenedLink,
): Promise<void> {
  await client.query('CREATE TEMP TABLE IF NOT EXISTS bk_tombstones (table_name text NOT NULL, pk jsonb)');
  await client.query('TRUNCATE bk_tombstones');
  const part = link.manifest.parts.find((p) => p.kind === 'tombstones');
  if (!part) return;
  const source = await readPart({ target, key: link.key, backupId: link.manifest.id }, part);
  await pipeline(
    source,
    client.query(copyStreams.from('COPY bk_tombstones (table_name, pk) FROM STDIN (FORMAT binary)')),
  );
}

const pkMatch = (pk: string[], a: string, b: string) =>
  pk.map((c) => `${a}.${ident(c)} = ${b}.${ident(c)}`).join(' AND ');

/** The upsert of `from` (same columns) into `into`, by primary key. */
export function upsertSql(t: TableInfo, into: string, from: string, where = ''): string {
  const rest = t.columns.filter((c) => !t.pk.includes(c));
  const cols = t.columns.map(ident).join(', ');
  const action = rest.length
    ? `DO UPDATE SET ${rest.map((c) => `${ident(c)} = EXCLUDED.${ident(c)}`).join(', ')}`
    : 'DO NOTHING';
  return `INSERT INTO ${into} AS x (${cols}) ${t.hasIdentityAlways ? 'OVERRIDING SYSTEM VALUE ' : ''}SELECT ${t.columns
    .map((c) => `s.${ident(c)}`)
    .join(', ')} FROM ${from} s ${where} ON CONFLICT (${t.pk.map(ident).join(', ')}) ${action}`;
}

/**
 * Replays one link onto `into(t)` for each table: the link's tombstones (loaded by loadTombstones),
 * then its rows (staged in a temp table, upserted). `into` tables need their primary key.
 */
export async function applyLinkToTable(
  client: pg.ClientBase,
  target: BackupTarget,
  link: OpenedLink,
  t: TableInfo,
  into: string,
): Promise<void> {
  const name = client.escapeLiteral(t.name);
  const { rows } = await client.query<{ truncated: boolean; deleted: boolean }>(
    `SELECT bool_or(pk IS NULL) AS truncated, bool_or(pk IS NOT NULL) AS deleted FROM bk_tombstones WHERE table_name = ${name}`,
  );
  if (rows[0]?.truncated) await client.query(`DELETE FROM ${into}`);
  if (rows[0]?.deleted) {
    await client.query(
      `DELETE FROM ${into} x USING (SELECT (jsonb_populate_record(NULL::public.${ident(t.name)}, pk)).* FROM bk_tombstones
        WHERE table_name = ${name} AND pk IS NOT NULL) d WHERE ${pkMatch(t.pk, 'x', 'd')}`,
    );
  }
  const mt = tableOf(link.manifest, t.name);
  if (!mt || mt.rows === 0) return;
  await client.query('DROP TABLE IF EXISTS bk_stage');
  await client.query(
    `CREATE TEMP TABLE bk_stage AS SELECT ${t.columns.map(ident).join(', ')} FROM public.${ident(t.name)} WITH NO DATA`,
  );
  await copyPartInto(client, target, link, mt, 'bk_stage');
  await client.query(upsertSql(t, into, 'bk_stage'));
  await client.query('DROP TABLE bk_stage');
}
