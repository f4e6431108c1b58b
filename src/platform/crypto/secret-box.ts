// Authenticated encryption of small secrets at rest (TOTP seeds, signing keys):
// AES-256-GCM with a key derived from the master key; the key id travels with the ciphertext.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { MasterKey } from './master-key.ts';

const VERSION = 'v1';

export class SecretBox {
  private readonly key: Buffer;
  private readonly keyId: string;

  constructor(master: MasterKey) {
    this.key = master.derive('secret-box');
    this.keyId = master.id;
  }

  seal(plaintext: string | Buffer, associatedData = ''): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(associatedData));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return [
      VERSION,
      this.keyId,
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      body.toString('base64url'),
    ].join('.');
  }

  open(sealed: string, associatedData = ''): Buffer {
    const [version, keyId, iv, tag, body] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('not a sealed secret');
    if (keyId !== this.keyId) throw new Error(`secret sealed with another master key (${keyId})`);
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(associatedData));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
  }
}
