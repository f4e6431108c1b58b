// One constructor for both kinds of target, from settings the caller (config, CLI, tests) resolved.
import { DirectoryTarget, type DirectoryTargetOptions } from './directory.ts';
import { S3Target, type S3TargetOptions } from './s3.ts';
import type { BackupTarget } from './target.ts';

export type TargetOptions =
  | ({ kind: 'directory' } & DirectoryTargetOptions)
  | ({ kind: 's3' } & S3TargetOptions);

export function createTarget(o: TargetOptions): BackupTarget {
  if (o.kind === 'directory') return new DirectoryTarget(o);
  const { kind: _kind, ...s3 } = o;
  return new S3Target(s3);
}

export { DirectoryTarget, type DirectoryTargetOptions } from './directory.ts';
export { S3Target, type S3TargetOptions } from './s3.ts';
export { type BackupTarget, checkBackupId, manifestKey, partKey } from './target.ts';
