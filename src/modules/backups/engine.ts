// What the backup engine (src/platform/backup/) needs from this installation, built once from the
// settings: the targets (primary and copy), the key source, the installation id, the owner
// connection, the scratch server for verifications and drills, the files root.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BackupConfig } from '../../config.ts';
import type { KeySource } from '../../platform/backup/keys.ts';
import { createTarget } from '../../platform/backup/targets/index.ts';
import type { BackupTarget } from '../../platform/backup/targets/target.ts';
import type { MasterKey } from '../../platform/crypto/master-key.ts';

export interface BackupEnvironment {
  ownerUrl: string;
  /** A server where scratch databases are created (owner rights); the owner's by default. */
  scratchServerUrl: string;
  primary: BackupTarget;
  copy: BackupTarget | null;
  keySource: KeySource;
  installationId: string;
  bulVersion: string;
  filesRoot: string;
  jobs: number;
  compressionLevel: number;
}

const PKG = path.resolve(import.meta.dirname, '../../../package.json');
export const BUL_VERSION: string = (JSON.parse(readFileSync(PKG, 'utf8')) as { version: string }).version;

/** The key source: the passphrase, else the key file, else (the default) the master key. */
export function keySourceOf(c: BackupConfig, masterKey: MasterKey): KeySource {
  if (c.passphrase) return { kind: 'passphrase', passphrase: c.passphrase };
  if (c.keyFile) {
    const key = readFileSync(c.keyFile);
    if (key.length < 32)
      throw new Error(`BACKUP_KEY_FILE: ${c.keyFile} holds ${key.length} bytes; at least 32 are needed`);
    return { kind: 'key-file', key };
  }
  return { kind: 'master-key', key: masterKey.derive('backup-key') };
}

function s3Options(c: BackupConfig) {
  const s3 = c.s3;
  if (!s3) throw new Error('BACKUP_S3_BUCKET is not set');
  return {
    kind: 's3' as const,
    bucket: s3.bucket,
    region: s3.region,
    forcePathStyle: s3.forcePathStyle,
    ...(s3.prefix ? { prefix: s3.prefix } : {}),
    ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
    ...(s3.accessKeyId ? { accessKeyId: s3.accessKeyId } : {}),
    ...(s3.secretAccessKey ? { secretAccessKey: s3.secretAccessKey } : {}),
  };
}

export function backupEnvironment(o: {
  config: BackupConfig;
  dataDir: string;
  masterKey: MasterKey;
  ownerUrl: string;
}): BackupEnvironment {
  const c = o.config;
  const primary =
    c.target === 's3' ? createTarget(s3Options(c)) : createTarget({ kind: 'directory', dir: c.dir });
  const copy =
    c.copyTarget === 'none'
      ? null
      : c.copyTarget === 's3'
        ? createTarget(s3Options(c))
        : createTarget({ kind: 'directory', dir: c.copyDir as string });
  return {
    ownerUrl: o.ownerUrl,
    scratchServerUrl: c.scratchDatabaseUrl ?? o.ownerUrl,
    primary,
    copy,
    keySource: keySourceOf(c, o.masterKey),
    installationId: o.masterKey.deriveText('backup-installation-id'),
    bulVersion: BUL_VERSION,
    filesRoot: path.join(o.dataDir, 'files'),
    jobs: c.jobs,
    compressionLevel: c.compressionLevel,
  };
}
