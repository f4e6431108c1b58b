// JWT signing keys: Ed25519 (EdDSA) pairs kept in the database with the private half sealed by
// the master key, so every API process signs and verifies with the same keys. A key signs for
// JWT_KEY_ROTATION, then a new one takes over; the old one stays in the JWKS until the last token
// it signed has expired. Each process reloads the ring every minute (and at once on an unknown kid).

import { createPrivateKey, type JsonWebKey, type KeyObject, sign, type webcrypto } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK, type JWTPayload, jwtVerify } from 'jose';
import type { SecretBox } from '../../platform/crypto/secret-box.ts';
import { newId } from '../../platform/db/ids.ts';
import type { Db } from '../../platform/db/transaction.ts';
import * as store from './store.ts';

type CryptoKey = webcrypto.CryptoKey;

const ALG = 'EdDSA';
export type TokenAudience = 'bul-api' | 'bul-mfa';
const RELOAD_MS = 60_000;
const UNKNOWN_KID_RELOAD_MS = 5_000;
const VERIFIED_CACHE_SIZE = 10_000;

interface LoadedKey {
  kid: string;
  publicJwk: JWK;
  publicKey: CryptoKey;
  /** node:crypto's handle: signs synchronously, at a third of the cost of a WebCrypto sign job. */
  privateKey: KeyObject;
  retireAt: Date;
  expiresAt: Date;
}

const base64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export class SigningKeyRing {
  private readonly db: Db;
  private readonly box: SecretBox;
  private readonly issuer: string;
  private readonly rotationSeconds: number;
  private readonly maxTokenSeconds: number;
  private keys: LoadedKey[] = [];
  private loadedAt = 0;
  private lastUnknownKidReload = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly verified = new Map<string, JWTPayload & { sub: string }>();

  constructor(opts: {
    db: Db;
    box: SecretBox;
    issuer: string;
    rotationSeconds: number;
    maxTokenSeconds: number;
  }) {
    this.db = opts.db;
    this.box = opts.box;
    this.issuer = opts.issuer;
    this.rotationSeconds = opts.rotationSeconds;
    this.maxTokenSeconds = opts.maxTokenSeconds;
  }

  async start(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => void this.reload().catch(() => {}), RELOAD_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Loads live keys; creates a new signing key when none may still sign (first start, rotation). */
  async reload(): Promise<void> {
    let rows = await store.liveSigningKeys(this.db.pool);
    if (!rows.some((r) => r.retire_at.getTime() > Date.now())) {
      rows = await this.rotate();
    }
    const loaded: LoadedKey[] = [];
    for (const row of rows) {
      const existing = this.keys.find((k) => k.kid === row.kid);
      if (existing) {
        loaded.push(existing);
        continue;
      }
      const privateJwk = JSON.parse(this.box.open(row.private_sealed, row.kid).toString('utf8')) as JWK;
      loaded.push({
        kid: row.kid,
        publicJwk: row.public_jwk as JWK,
        publicKey: (await importJWK(row.public_jwk as JWK, ALG)) as CryptoKey,
        privateKey: createPrivateKey({ key: privateJwk as JsonWebKey, format: 'jwk' }),
        retireAt: row.retire_at,
        expiresAt: row.expires_at,
      });
    }
    this.keys = loaded;
    this.loadedAt = Date.now();
  }

  /** Creates the next signing key unless another process just did (serialised by an advisory lock). */
  private async rotate(): Promise<store.SigningKeyRow[]> {
    return this.db.transaction({ orgId: null, userId: null }, async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock(hashtext('bul:signing-key-rotation'))");
      const rows = await store.liveSigningKeys(tx);
      if (rows.some((r) => r.retire_at.getTime() > Date.now())) return rows;
      const { publicKey, privateKey } = await generateKeyPair(ALG, { crv: 'Ed25519', extractable: true });
      const kid = newId();
      const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' };
      const retireAt = new Date(Date.now() + this.rotationSeconds * 1000);
      await store.insertSigningKey(tx, {
        kid,
        alg: ALG,
        public_jwk: publicJwk,
        private_sealed: this.box.seal(JSON.stringify(await exportJWK(privateKey)), kid),
        retire_at: retireAt,
        expires_at: new Date(retireAt.getTime() + (this.maxTokenSeconds + 60) * 1000),
      });
      return store.liveSigningKeys(tx);
    });
  }

  private signingKey(): LoadedKey {
    const now = Date.now();
    const key = this.keys.find((k) => k.retireAt.getTime() > now);
    if (!key) throw new Error('no signing key loaded');
    return key;
  }

  /** Signs a JWT for one audience (`bul-api` access tokens, `bul-mfa` login challenges). */
  async sign(
    subject: string,
    claims: Record<string, unknown>,
    opts: { audience: TokenAudience; ttlSeconds: number },
  ): Promise<string> {
    if (!this.keys.some((k) => k.retireAt.getTime() > Date.now())) await this.reload();
    const key = this.signingKey();
    // A compact JWS (RFC 7515) with the registered claims jose's SignJWT would set.
    const now = Math.floor(Date.now() / 1000);
    const header = base64url({ alg: ALG, kid: key.kid, typ: 'JWT' });
    const payload = base64url({
      ...claims,
      sub: subject,
      iss: this.issuer,
      aud: opts.audience,
      iat: now,
      exp: now + opts.ttlSeconds,
    });
    const signingInput = `${header}.${payload}`;
    const signature = sign(null, Buffer.from(signingInput), key.privateKey).toString('base64url');
    return `${signingInput}.${signature}`;
  }

  /**
   * Verifies signature, issuer, audience and expiry; null for any token that fails. A client
   * sends the same access token for up to 15 minutes, so verified tokens are remembered until
   * they expire (the signature check dominated the cost of an authenticated request). Revocation
   * does not depend on this: every request still checks the token's session in the database.
   */
  async verify(token: string, audience: TokenAudience): Promise<(JWTPayload & { sub: string }) | null> {
    const cacheKey = `${audience} ${token}`;
    const hit = this.verified.get(cacheKey);
    if (hit) {
      if (typeof hit.exp === 'number' && hit.exp * 1000 > Date.now()) return hit;
      this.verified.delete(cacheKey);
    }
    try {
      const { payload } = await jwtVerify(token, (header) => this.publicKeyFor(header.kid), {
        issuer: this.issuer,
        audience,
        algorithms: [ALG],
      });
      if (typeof payload.sub !== 'string') return null;
      const claims = payload as JWTPayload & { sub: string };
      if (this.verified.size >= VERIFIED_CACHE_SIZE) {
        // Maps iterate in insertion order: drop the oldest entry.
        const oldest = this.verified.keys().next().value;
        if (oldest !== undefined) this.verified.delete(oldest);
      }
      this.verified.set(cacheKey, claims);
      return claims;
    } catch {
      return null;
    }
  }

  private async publicKeyFor(kid: string | undefined): Promise<CryptoKey> {
    let key = this.keys.find((k) => k.kid === kid);
    const now = Date.now();
    if (
      !key &&
      now - this.lastUnknownKidReload > UNKNOWN_KID_RELOAD_MS &&
      now - this.loadedAt > UNKNOWN_KID_RELOAD_MS
    ) {
      this.lastUnknownKidReload = now;
      await this.reload();
      key = this.keys.find((k) => k.kid === kid);
    }
    if (!key) throw new Error('unknown signing key');
    return key.publicKey;
  }

  jwks(): { keys: JWK[] } {
    const now = Date.now();
    return { keys: this.keys.filter((k) => k.expiresAt.getTime() > now).map((k) => k.publicJwk) };
  }
}
