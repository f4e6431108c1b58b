// writeBackup(): every table of one exported snapshot, read by `jobs` connections in parallel as
// COPY BINARY, each a part (zstd + authenticated segments) on the target, then the signed manifest.
//
// Types: full = every row; critical = every row of the chosen tables; incremental/differential =
// the rows inserted or updated since the parent's snapshot (by row version, formula below) and
// the tombstones of rows deleted since then (backup_tombstones, migration 0023). A restore applies
// a chain: the full, then each link's tombstones before its rows.
import { randomUUID } from 'node:crypto';
import { pipeline, type Readable } from 'node:stream';
import { copyOut } from '../db/copy-out.ts';
import { RowHasher } from './binary-rows.ts';
import { ident, readCatalog, type TableInfo } from './catalog.ts';
import { copyRowsSql, summarize } from './checksums.ts';
import { BackupError } from './errors.ts';
import { filesSource } from './files.ts';
import { deriveBackupKey, type KeySource, keyCheck, newKdfParams } from './keys.ts';
import {
  type BackupManifest,
  type BackupType,
  MANIFEST_FORMAT,
  type ManifestPart,
  type ManifestTable,
  signManifest,
} from './manifest.ts';
import { type PartContext, writePart } from './part-codec.ts';
import { openSnapshot } from './snapshot.ts';
import type { BackupTarget } from './targets/target.ts';
import { writeManifest } from './verify.ts';

export interface BackupProgress {
  phase: 'snapshot' | 'tables' | 'files' | 'manifest' | 'done';
  tablesDone: number;
  tablesTotal: number;
  rows: number;
  plainBytes: number;
  storedBytes: number;
  etaSeconds: number | null;
  currentTables: string[];
}

export interface WriteBackupOptions {
  ownerUrl: string;
  target: BackupTarget;
  keySource: KeySource;
  installationId: string;
  bulVersion: string;
  /** uuid; default new */
  id?: string;
  type: BackupType;
  /** incremental: the last successful full/incremental/differential; differential: the last full. */
  parent?: BackupManifest | null;
  /** type critical */
  criticalTables?: string[];
  /** parallel readers, default 2 */
  jobs?: number;
  /** default 3 */
  compressionLevel?: number;
  /** incr/diff: also checksum the whole table in the snapshot (default true) */
  stateChecksums?: boolean;
  /** BUL_DATA_DIR/files; null = no files part */
  filesRoot?: string | null;
  onProgress?: (p: BackupProgress) => void;
  signal?: AbortSignal;
}

const TWO31 = 2n ** 31n;
const TWO32 = 2n ** 32n;

/**
 * The WHERE clause selecting the rows written since a snapshot whose xmin is `sinceXmin`: their
 * xmin (32 bits, wrapping) lies in [sinceXmin, currentXmax). Every transaction below sinceXmin
 * was visible to that snapshot, so nothing changed after it is missed; rows of transactions in
 * [xmin, xmax) that it did see come again, which an upsert makes harmless. Refused (take a full)
 * when the window is too wide to tell apart from wraparound.
 */
export function changedSinceFilter(sinceXmin: string, currentXmax: string): string {
  const since = BigInt(sinceXmin);
  const span = BigInt(currentXmax) - since;
  if (span < 0n) {
    throw new BackupError(
      'chain_broken',
      'the parent backup is newer than this database; take a full backup',
      {
        sinceXmin,
        currentXmax,
      },
    );
  }
  if (span >= TWO31) {
    throw new BackupError(
      'chain_broken',
      `${span} transactions since the parent backup are too many to tell changed rows apart; take a full backup`,
      { sinceXmin, currentXmax },
    );
  }
  return `((xmin::text::bigint - ${since % TWO32}) & 4294967295) < ${span}`;
}

export async function writeBackup(o: WriteBackupOptions): Promise<BackupManifest> {
  const id = o.id ?? randomUUID();
  const started = Date.now();
  const createdAt = new Date(started).toISOString();
  const jobs = Math.max(1, o.jobs ?? 2);
  const level = o.compressionLevel ?? 3;
  const incremental = o.type === 'incremental' || o.type === 'differential';
  if (incremental && !o.parent) {
    throw new BackupError('chain_broken', `an ${o.type} backup needs a parent backup; take a full backup`);
  }
  const parent = incremental ? o.parent! : null;
  if (parent && o.type === 'differential' && parent.type !== 'full') {
    throw new BackupError(
      'chain_broken',
      `a differential backup's parent must be a full backup, not ${parent.type}`,
    );
  }
  if (parent && parent.type === 'critical') {
    throw new BackupError('chain_broken', 'a critical backup cannot be the parent of another backup');
  }

  const progress: BackupProgress = {
    phase: 'snapshot',
    tablesDone: 0,
    tablesTotal: 0,
    rows: 0,
    plainBytes: 0,
    storedBytes: 0,
    etaSeconds: null,
    currentTables: [],
  };
  const report = () => o.onProgress?.({ ...progress, currentTables: [...progress.currentTables] });
  report();

  const kdf = newKdfParams(o.keySource);
  const key = await deriveBackupKey(o.keySource, kdf);
  const ctx: PartContext = {
    target: o.target,
    key,
    backupId: id,
    compressionLevel: level,
    ...(o.signal ? { signal: o.signal } : {}),
  };
  const snap = await openSnapshot(o.ownerUrl, jobs);
  let wrote = false;
  try {
    const catalog = await readCatalog(snap.coordinator);
    if (parent && parent.schemaVersion !== catalog.schemaVersion) {
      throw new BackupError(
        'chain_broken',
        `the schema changed since the parent backup (${parent.schemaVersion} → ${catalog.schemaVersion}); take a full backup`,
      );
    }
    let tables: TableInfo[] = catalog.tables;
    if (o.type === 'critical') {
      const wanted = new Set(o.criticalTables ?? []);
      const unknown = [...wanted].filter((n) => !catalog.tables.some((t) => t.name === n));
      if (unknown.length) throw new Error(`critical tables not backed up by BUL: ${unknown.join(', ')}`);
      tables = catalog.tables.filter((t) => wanted.has(t.name));
      if (!tables.length) throw new Error('a critical backup needs at least one table');
    }
    if (parent?.origin && parent.origin.databaseOid !== snap.databaseOid) {
      // Transaction ids of another database (a restored copy, another cluster) say nothing here.
      throw new BackupError(
        'chain_broken',
        `the parent backup ${parent.id} was read from another database (oid ${parent.origin.databaseOid}, this one is ${snap.databaseOid}): take a full backup`,
      );
    }
    const filter = parent ? changedSinceFilter(parent.snapshot.xmin, snap.xmax) : null;
    const stateChecksums = parent ? o.stateChecksums !== false : false;

    // Sizes for the ETA and to start the biggest tables first (parallel readers finish together).
    const { rows: sizeRows } = await snap.coordinator.query<{ name: string; bytes: string }>(
      `SELECT c.relname AS name, pg_table_size(c.oid)::text AS bytes FROM pg_class c
       WHERE c.relnamespace = 'public'::regnamespace AND c.relname = ANY($1)`,
      [tables.map((t) => t.name)],
    );
    const sizes = new Map(sizeRows.map((r) => [r.name, Number(r.bytes)]));
    const totalBytes = [...sizes.values()].reduce((a, b) => a + b, 0) || 1;
    const partNames = new Map(tables.map((t, i) => [t.name, `${String(i + 1).padStart(3, '0')}-${t.name}`]));
    const queue = [...tables].sort((a, b) => (sizes.get(b.name) ?? 0) - (sizes.get(a.name) ?? 0));
    progress.phase = 'tables';
    progress.tablesTotal = tables.length;
    report();

    const parts = new Map<string, ManifestPart>();
    const manifestTables = new Map<string, ManifestTable>();
    const inFlight = new Map<string, number>();
    let doneBytes = 0;
    const eta = () => {
      const elapsed = (Date.now() - started) / 1000;
      const seen = doneBytes + [...inFlight.values()].reduce((a, b) => a + b, 0);
      const fraction = Math.min(
        0.99,
        (progress.tablesDone / Math.max(1, tables.length) + seen / totalBytes) / 2,
      );
      progress.etaSeconds = fraction > 0.02 ? Math.round((elapsed / fraction) * (1 - fraction)) : null;
    };
    let lastReport = 0;
    const throttled = () => {
      const now = Date.now();
      if (now - lastReport >= 250) {
        lastReport = now;
        eta();
        report();
      }
    };

    const dumpTable = async (reader: (typeof snap.readers)[number], t: TableInfo) => {
      const name = partNames.get(t.name)!;
      progress.currentTables.push(t.name);
      inFlight.set(t.name, 0);
      const hasher = new RowHasher();
      const copy = copyOut(reader, copyRowsSql(t.name, t.columns, filter ?? undefined));
      // pipeline, not pipe: when the target fails (disk full) and writePart destroys the hasher,
      // the COPY is destroyed too (and drained), instead of pausing its socket forever.
      pipeline(copy, hasher, () => {});
      let before = 0;
      const part = await writePart(
        ctx,
        { name, file: `${name}.bin`, kind: 'table', table: t.name },
        hasher,
        (plain) => {
          progress.plainBytes += plain - before;
          before = plain;
          inFlight.set(t.name, plain);
          throttled();
        },
      );
      const s = hasher.summary;
      let state = { rows: s.rows, checksum: s.checksum } as { rows: number | null; checksum: string | null };
      if (parent) {
        state = stateChecksums
          ? await summarize(reader, copyRowsSql(t.name, t.columns))
          : { rows: null, checksum: null };
      }
      parts.set(t.name, part);
      manifestTables.set(t.name, {
        name: t.name,
        columns: t.columns,
        rows: s.rows,
        checksum: s.checksum,
        stateRows: state.rows,
        stateChecksum: state.checksum,
        part: name,
      });
      progress.rows += s.rows;
      progress.storedBytes += part.storedBytes;
      progress.tablesDone++;
      progress.currentTables = progress.currentTables.filter((n) => n !== t.name);
      inFlight.delete(t.name);
      doneBytes += sizes.get(t.name) ?? 0;
      eta();
      report();
    };

    wrote = true;
    // Each reader takes the next table; the first failure stops the others taking more.
    let failed = false;
    const results = await Promise.allSettled(
      snap.readers.map(async (reader) => {
        for (let t = queue.shift(); t && !failed; t = queue.shift()) {
          try {
            o.signal?.throwIfAborted();
            await dumpTable(reader, t);
          } catch (err) {
            failed = true;
            throw err;
          }
        }
      }),
    );
    const rejected = results.find((r) => r.status === 'rejected');
    if (rejected) throw (rejected as PromiseRejectedResult).reason;

    const extraParts: ManifestPart[] = [];
    if (parent) {
      // Deletions since the parent, as committed in this snapshot (TRUNCATE: pk NULL).
      const names = tables.map((t) => t.name);
      // Those of transactions the parent's snapshot did not see: a delete it saw followed by a
      // re-insert from an older transaction must not be replayed over that row.
      const unseen = parent.snapshot.text
        ? ` AND NOT pg_visible_in_snapshot(xid, ${snap.coordinator.escapeLiteral(parent.snapshot.text)}::pg_snapshot)`
        : '';
      const sql = `COPY (SELECT table_name, pk FROM backup_tombstones WHERE xid >= ${snap.coordinator.escapeLiteral(parent.snapshot.xmin)}::xid8${unseen}
        AND table_name IN (${names.map((n) => snap.coordinator.escapeLiteral(n)).join(', ')}) ORDER BY id) TO STDOUT (FORMAT binary)`;
      extraParts.push(
        await writePart(
          ctx,
          { name: 'tombstones', file: 'tombstones.bin', kind: 'tombstones' },
          copyOut(snap.coordinator, sql),
        ),
      );
    }

    const files = { count: 0, bytes: 0 };
    const attachments = manifestTables.get('task_attachments');
    if (o.filesRoot && attachments) {
      progress.phase = 'files';
      report();
      const { rows } = await snap.coordinator.query<{ org: string; id: string }>(
        `SELECT org_id::text AS org, id::text AS id FROM task_attachments${filter ? ` WHERE ${filter}` : ''} ORDER BY org_id, id`,
      );
      extraParts.push(
        await writePart(
          ctx,
          { name: 'files', file: 'files.bin', kind: 'files' },
          filesSource(o.filesRoot, rows, files) as Readable,
        ),
      );
    }

    progress.phase = 'manifest';
    report();
    const sequences: BackupManifest['sequences'] = [];
    const backedUp = new Set(tables.map((t) => t.name));
    for (const seq of catalog.sequences) {
      // A critical backup carries only its tables' sequences: restoring it must not rewind others.
      const owner = catalog.sequenceOwners[seq];
      if (o.type === 'critical' && !(owner && backedUp.has(owner))) continue;
      const { rows } = await snap.coordinator.query<{ value: string; is_called: boolean }>(
        `SELECT last_value::text AS value, is_called FROM ${ident(seq)}`,
      );
      sequences.push({ name: seq, value: rows[0]!.value, isCalled: rows[0]!.is_called });
    }

    const orderedTables = tables.map((t) => manifestTables.get(t.name)!);
    const allParts = [...tables.map((t) => parts.get(t.name)!), ...extraParts];
    const finished = Date.now();
    const manifest = signManifest(
      {
        format: MANIFEST_FORMAT,
        id,
        type: o.type,
        installationId: o.installationId,
        bulVersion: o.bulVersion,
        schemaVersion: catalog.schemaVersion,
        parentId: parent ? parent.id : null,
        baseFullId: parent ? (parent.type === 'full' ? parent.id : parent.baseFullId) : null,
        createdAt,
        finishedAt: new Date(finished).toISOString(),
        durationMs: finished - started,
        snapshot: { xmin: snap.xmin, xmax: snap.xmax, text: snap.text },
        origin: { databaseOid: snap.databaseOid },
        since: parent ? { xmin: parent.snapshot.xmin } : null,
        kdf,
        keyCheck: keyCheck(key),
        compression: { alg: 'zstd', level },
        tables: orderedTables,
        sequences,
        parts: allParts,
        files,
        totals: {
          rows: orderedTables.reduce((a, t) => a + t.rows, 0),
          plainBytes: allParts.reduce((a, p) => a + p.plainBytes, 0),
          storedBytes: allParts.reduce((a, p) => a + p.storedBytes, 0),
        },
      },
      key,
    );
    await writeManifest(o.target, manifest);
    progress.phase = 'done';
    progress.etaSeconds = 0;
    progress.plainBytes = manifest.totals.plainBytes;
    progress.storedBytes = manifest.totals.storedBytes;
    report();
    return manifest;
  } catch (err) {
    if (wrote) await o.target.removeBackup(id).catch(() => {});
    throw err;
  } finally {
    await snap.close();
  }
}
