// The master key: 32 bytes from BUL_MASTER_KEY, or generated once into BUL_DATA_DIR/master.key.
// Every other secret key is derived from it with HKDF, one purpose each, so one value rotates all.
import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export type KeyPurpose =
  | 'secret-box'
  | 'database-app-password'
  | 'embedded-superuser-password'
  | 'token-pepper'
  | 'realtime-bus'
  | 'cache-bus'
  | 'backup-key'
  | 'backup-installation-id';

export class MasterKey {
  readonly id: string;
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('the master key must be 32 bytes');
    this.key = key;
    this.id = createHash('sha256').update(key).digest('hex').slice(0, 12);
  }

  derive(purpose: KeyPurpose, length = 32): Buffer {
    return Buffer.from(hkdfSync('sha256', this.key, Buffer.alloc(0), `bul:${purpose}`, length));
  }

  /** A derived secret as text, for passwords handed to other systems. */
  deriveText(purpose: KeyPurpose): string {
    return this.derive(purpose, 24).toString('base64url');
  }
}

function decode(text: string): Buffer {
  const key = Buffer.from(text.trim().replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length !== 32) throw new Error('BUL_MASTER_KEY: must be 32 bytes, base64');
  return key;
}

/** Loads the configured key or the one in the data directory, creating the latter on first run. */
export function loadMasterKey(
  configured: string | null,
  dataDir: string,
): { key: MasterKey; generated: boolean } {
  if (configured) return { key: new MasterKey(decode(configured)), generated: false };
  const file = path.join(dataDir, 'master.key');
  try {
    return { key: new MasterKey(decode(readFileSync(file, 'utf8'))), generated: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  // 'wx' fails if another process created it meanwhile; then read theirs.
  try {
    writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { key: new MasterKey(decode(readFileSync(file, 'utf8'))), generated: false };
  }
  return { key: new MasterKey(key), generated: true };
}
