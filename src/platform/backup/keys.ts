// Backup keys: where the key comes from (a passphrase, a key file, BUL's master key), how a backup's
// 32-byte key is derived from it (scrypt for passphrases, HKDF for key material; a fresh salt per
// backup, the parameters recorded in the manifest so they can change later), and the key check
// stored in the manifest that tells "wrong key" apart from "tampered manifest".
import { createHmac, hkdf, hkdfSync, randomBytes, scrypt } from 'node:crypto';
import { BackupError } from './errors.ts';

export type KeySource =
  | { kind: 'passphrase'; passphrase: string }
  | { kind: 'key-file'; key: Buffer } // ≥ 32 bytes of key material read from BACKUP_KEY_FILE
  | { kind: 'master-key'; key: Buffer }; // BUL's master key (default when nothing is configured)

export type KdfParams =
  | { alg: 'scrypt'; salt: string /* base64 */; N: number; r: number; p: number }
  | { alg: 'hkdf-sha256'; salt: string /* base64 */; source: 'key-file' | 'master-key' };

/** scrypt cost for new backups: 2^15 × 8 × 128 B = 32 MiB of memory, about 0.1 s. */
export const SCRYPT_DEFAULTS = { N: 2 ** 15, r: 8, p: 1 } as const;
/** Bounds on what a manifest may ask for: 1 GiB of scrypt memory at most. */
const SCRYPT_MAX_MEMORY = 1024 * 1024 * 1024;
const MIN_KEY_MATERIAL = 32;
const HKDF_INFO = 'bul-backup key';

export function newKdfParams(source: KeySource): KdfParams {
  const salt = randomBytes(32).toString('base64');
  if (source.kind === 'passphrase') return { alg: 'scrypt', salt, ...SCRYPT_DEFAULTS };
  return { alg: 'hkdf-sha256', salt, source: source.kind };
}

function kdfKind(kdf: KdfParams): KeySource['kind'] {
  return kdf.alg === 'scrypt' ? 'passphrase' : kdf.source;
}

function describeKind(kind: KeySource['kind']): string {
  return kind === 'passphrase' ? 'a passphrase' : kind === 'key-file' ? 'a key file' : 'the master key';
}

/** The backup's 32-byte key; a source of another kind than the backup was written with is wrong_key. */
export async function deriveBackupKey(source: KeySource, kdf: KdfParams): Promise<Buffer> {
  const wanted = kdfKind(kdf);
  if (wanted !== source.kind) {
    throw new BackupError(
      'wrong_key',
      `the backup was encrypted with ${describeKind(wanted)} but ${describeKind(source.kind)} was given`,
      { expectedKeySource: wanted, givenKeySource: source.kind },
    );
  }
  const salt = Buffer.from(kdf.salt, 'base64');
  if (kdf.alg === 'scrypt') {
    if (source.kind !== 'passphrase') throw new Error('unreachable');
    if (source.passphrase.length === 0) throw new BackupError('no_key', 'the backup passphrase is empty');
    const { N, r, p } = kdf;
    // Refuse absurd parameters from a manifest before spending memory on them.
    const memory = 128 * N * r * p;
    const integers = [N, r, p].every((v) => Number.isInteger(v) && v >= 1);
    if (!integers || N < 2 || (N & (N - 1)) !== 0 || memory > SCRYPT_MAX_MEMORY) {
      throw new BackupError(
        'manifest_invalid',
        `the manifest's scrypt parameters (N=${N}, r=${r}, p=${p}) are out of range`,
      );
    }
    const maxmem = Math.max(64 * 1024 * 1024, memory + 1024 * 1024);
    return await new Promise<Buffer>((resolve, reject) =>
      scrypt(source.passphrase.normalize('NFC'), salt, 32, { N, r, p, maxmem }, (err, key) =>
        err ? reject(err) : resolve(key),
      ),
    );
  }
  if (source.kind === 'passphrase') throw new Error('unreachable');
  if (source.key.length < MIN_KEY_MATERIAL) {
    throw new BackupError(
      'no_key',
      `the backup key material of ${describeKind(source.kind)} has ${source.key.length} bytes; at least ${MIN_KEY_MATERIAL} are needed`,
    );
  }
  return await new Promise<Buffer>((resolve, reject) =>
    hkdf('sha256', source.key, salt, HKDF_INFO, 32, (err, key) =>
      err ? reject(err) : resolve(Buffer.from(key)),
    ),
  );
}

/** Stored in the manifest: tells whether a key is the backup's without decrypting anything. */
export function keyCheck(key: Buffer): string {
  return createHmac('sha256', key).update('bul-backup key check').digest('base64');
}

/** A purpose-bound subkey of the backup key (HKDF-SHA256, empty salt, info = purpose). */
export function subkey(key: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), info, 32));
}
