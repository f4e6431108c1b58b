// Where backups are stored. Keys are relative paths: "<backupId>/manifest.json",
// "<backupId>/parts/<file>". A target stores bytes; it knows nothing of their format.
import type { Readable } from 'node:stream';
import { BackupError } from '../errors.ts';

export interface BackupTarget {
  readonly kind: 'directory' | 's3';
  /** "directory /var/lib/bul/backups", "s3 bucket b (endpoint …)" */
  readonly description: string;
  put(
    key: string,
    body: Readable,
    opts?: { contentLength?: number; signal?: AbortSignal },
  ): Promise<{ bytes: number }>;
  /** Missing → BackupError part_missing (part = key). */
  get(key: string, opts?: { start?: number }): Promise<Readable>;
  head(key: string): Promise<{ bytes: number } | null>;
  /** Backup ids present (directories / common prefixes). */
  list(prefix?: string): Promise<string[]>;
  /** Every object of one backup; idempotent. */
  removeBackup(backupId: string): Promise<void>;
  /** Writable? Throws target_unavailable. */
  probe(): Promise<void>;
}

export const manifestKey = (backupId: string): string => `${backupId}/manifest.json`;
export const partKey = (backupId: string, file: string): string => `${backupId}/parts/${file}`;

const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** Keys and backup ids come from manifests and callers: refuse anything that could leave the target. */
export function checkKey(key: string): string[] {
  const parts = key.split('/');
  if (parts.length === 0 || parts.some((p) => !SEGMENT.test(p) || p === '.' || p === '..')) {
    throw new BackupError('part_missing', `invalid backup object key ${JSON.stringify(key)}`, { part: key });
  }
  return parts;
}

export function checkBackupId(backupId: string): void {
  if (!SEGMENT.test(backupId) || backupId === '.' || backupId === '..') {
    throw new BackupError('part_missing', `invalid backup id ${JSON.stringify(backupId)}`);
  }
}

export function missing(key: string, where: string): BackupError {
  return new BackupError('part_missing', `part ${key} is missing from ${where}`, { part: key });
}
