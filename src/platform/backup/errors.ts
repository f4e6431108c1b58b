// The one error type of the backup engine: a stable code the module maps to problem+json and a CLI
// exit, and an English sentence naming the part and byte offset where they are known.

export type BackupErrorCode =
  | 'wrong_key' // the key check of the manifest fails: wrong passphrase / key file
  | 'manifest_tampered' // key right, MAC wrong
  | 'manifest_invalid' // not JSON / not a BUL manifest / unknown format version
  | 'foreign_installation' // manifest.installationId !== this installation's
  | 'newer_schema' // backup's schema version > database's
  | 'older_schema' // database has newer migrations than the backup
  | 'part_missing'
  | 'part_truncated'
  | 'part_corrupt'
  | 'chain_broken' // a parent of an incremental/differential is missing or not succeeded
  | 'disk_full' // ENOSPC / EDQUOT while writing
  | 'target_unavailable' // target unreachable, bucket missing, permission denied
  | 'no_key' // no key source configured where one is required
  | 'database_not_empty'; // a load into an empty database found organizations or users there

export interface BackupErrorDetails {
  part?: string;
  offset?: number;
  [k: string]: unknown;
}

export class BackupError extends Error {
  readonly code: BackupErrorCode;
  readonly part?: string;
  readonly offset?: number;
  readonly details: Record<string, unknown>;

  constructor(code: BackupErrorCode, message: string, details?: BackupErrorDetails, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BackupError';
    this.code = code;
    this.details = { ...(details ?? {}) };
    if (details?.part !== undefined) this.part = details.part;
    if (details?.offset !== undefined) this.offset = details.offset;
  }
}

export function isBackupError(e: unknown, code?: BackupErrorCode): e is BackupError {
  return e instanceof BackupError && (code === undefined || e.code === code);
}

/** ENOSPC / EDQUOT: the disk (or quota) of a directory target is full. */
export function isDiskFull(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
