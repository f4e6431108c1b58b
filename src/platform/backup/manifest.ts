// The manifest: everything a restore needs to know about one backup (chain, snapshot, key
// derivation, tables, parts with sizes and hashes), serialized as canonical JSON and authenticated
// with an HMAC under a subkey of the backup key. Opening checks, in order: shape and format,
// installation, key check (wrong_key), MAC (manifest_tampered).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { BackupError } from './errors.ts';
import { deriveBackupKey, type KdfParams, type KeySource, keyCheck, subkey } from './keys.ts';

export const MANIFEST_FORMAT = 1;
export type BackupType = 'full' | 'incremental' | 'differential' | 'critical';

export interface ManifestPart {
  name: string;
  file: string;
  kind: 'table' | 'tombstones' | 'files';
  table?: string;
  storedBytes: number;
  plainBytes: number;
  /** Hex SHA-256 of the stored file. */
  sha256: string;
}

export interface ManifestTable {
  name: string;
  columns: string[];
  rows: number;
  checksum: string;
  /** Rows and checksum of the whole table at the snapshot (= rows/checksum for full and critical). */
  stateRows: number | null;
  stateChecksum: string | null;
  /** ManifestPart.name */
  part: string;
}

export interface BackupManifest {
  format: 1;
  id: string;
  type: BackupType;
  installationId: string;
  bulVersion: string;
  /** Last applied migration, e.g. "0024_backups". */
  schemaVersion: string;
  /** Chain: incremental → parent (any), differential → base full. */
  parentId: string | null;
  baseFullId: string | null;
  createdAt: string;
  finishedAt: string;
  durationMs: number;
  /**
   * pg_current_snapshot() bounds as xid8 text, and the whole snapshot (xmin:xmax:xip): the next
   * link takes the tombstones of the transactions this snapshot did not see.
   */
  snapshot: { xmin: string; xmax: string; text?: string };
  /**
   * The database the backup was read from (pg_database oid). Transaction ids only compare within
   * one database cluster: a link whose parent came from another database is refused.
   */
  origin?: { databaseOid: number };
  /** Incremental/differential: the parent's snapshot xmin. */
  since: { xmin: string } | null;
  kdf: KdfParams;
  keyCheck: string;
  compression: { alg: 'zstd'; level: number };
  tables: ManifestTable[];
  sequences: { name: string; value: string; isCalled: boolean }[];
  parts: ManifestPart[];
  files: { count: number; bytes: number };
  totals: { rows: number; plainBytes: number; storedBytes: number };
  /** HMAC-SHA256 (key derived from the backup key) over the canonical JSON without mac. */
  mac: string;
}

/** JSON with object keys sorted at every level and no whitespace: the bytes the MAC covers. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new TypeError('non-finite number in a manifest');
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

function macOf(m: Omit<BackupManifest, 'mac'> & { mac?: string }, key: Buffer): string {
  const { mac: _mac, ...rest } = m;
  return createHmac('sha256', subkey(key, 'manifest-mac')).update(canonicalJson(rest)).digest('base64');
}

export function signManifest(m: Omit<BackupManifest, 'mac'>, key: Buffer): BackupManifest {
  return { ...m, mac: macOf(m, key) } as BackupManifest;
}

function invalid(why: string): BackupError {
  return new BackupError('manifest_invalid', `the backup manifest is invalid: ${why}`);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and checks the shape a listing relies on; authenticates nothing. */
export function readManifestUnverified(json: string | Buffer): BackupManifest {
  let m: unknown;
  try {
    m = JSON.parse(typeof json === 'string' ? json : json.toString('utf8'));
  } catch (e) {
    throw invalid(`not JSON (${(e as Error).message})`);
  }
  if (!isObject(m)) throw invalid('not a JSON object');
  if (!('format' in m) || !('kdf' in m) || typeof m.id !== 'string')
    throw invalid('not a BUL backup manifest');
  if (m.format !== MANIFEST_FORMAT) {
    throw invalid(
      `format version ${String(m.format)} is unknown (this BUL reads version ${MANIFEST_FORMAT})`,
    );
  }
  for (const k of ['type', 'installationId', 'schemaVersion', 'keyCheck', 'mac', 'createdAt'] as const) {
    if (typeof m[k] !== 'string') throw invalid(`field ${k} is missing or not a string`);
  }
  for (const k of ['tables', 'parts', 'sequences'] as const) {
    if (!Array.isArray(m[k])) throw invalid(`field ${k} is missing or not a list`);
  }
  const kdf = m.kdf;
  if (!isObject(kdf) || typeof kdf.salt !== 'string' || (kdf.alg !== 'scrypt' && kdf.alg !== 'hkdf-sha256')) {
    throw invalid('field kdf is not a known key derivation');
  }
  for (const p of m.parts as unknown[]) {
    if (
      !isObject(p) ||
      typeof p.name !== 'string' ||
      typeof p.file !== 'string' ||
      typeof p.sha256 !== 'string'
    ) {
      throw invalid('a part lacks its name, file or sha256');
    }
    if (typeof p.storedBytes !== 'number' || typeof p.plainBytes !== 'number') {
      throw invalid(`part ${p.name} lacks its sizes`);
    }
    if (p.file.includes('..') || p.file.includes('/') || p.file.includes('\\')) {
      throw invalid(`part ${p.name} names a file outside the backup (${p.file})`);
    }
  }
  return m as unknown as BackupManifest;
}

/** Constant-time equality of two base64 MACs (different lengths: unequal). */
export function sameBase64(a: string, b: string): boolean {
  const x = Buffer.from(a, 'base64');
  const y = Buffer.from(b, 'base64');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Parses, checks format, derives the key from `source` and the manifest's kdf, checks keyCheck then mac. */
export async function openManifest(
  json: string | Buffer,
  source: KeySource,
  expect?: { installationId?: string },
): Promise<{ manifest: BackupManifest; key: Buffer }> {
  const manifest = readManifestUnverified(json);
  // Refusing on an unauthenticated field is safe (accepting would not be), and it names the real
  // problem where another installation's key would only say "wrong key".
  if (expect?.installationId !== undefined && manifest.installationId !== expect.installationId) {
    throw new BackupError(
      'foreign_installation',
      `backup ${manifest.id} belongs to installation ${manifest.installationId}, not to this installation (${expect.installationId})`,
      { backupId: manifest.id, installationId: manifest.installationId, expected: expect.installationId },
    );
  }
  const key = await deriveBackupKey(source, manifest.kdf);
  if (!sameBase64(keyCheck(key), manifest.keyCheck)) {
    throw new BackupError(
      'wrong_key',
      `the key does not open backup ${manifest.id} (wrong ${source.kind === 'passphrase' ? 'passphrase' : source.kind === 'key-file' ? 'key file' : 'master key'})`,
      { backupId: manifest.id },
    );
  }
  if (!sameBase64(macOf(manifest, key), manifest.mac)) {
    throw new BackupError(
      'manifest_tampered',
      `the manifest of backup ${manifest.id} was altered after it was written (its MAC does not match)`,
      { backupId: manifest.id },
    );
  }
  return { manifest, key };
}
