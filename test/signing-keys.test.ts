// JWT signing keys rotate: a new key takes over when the current one retires, the retired key
// stays in the JWKS (and its tokens keep verifying) until its last token has expired, and the
// private halves are stored sealed.
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSiblingApp, createTestApp, login, signUp, type TestApp } from './support/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t?.close();
});

const jwks = async (app: TestApp) =>
  (await app.request({ method: 'GET', url: '/.well-known/jwks.json' })).json().keys as {
    kid: string;
    d?: string;
  }[];

describe('signing keys', () => {
  it('rotates: a new key signs after the old one retires; old tokens verify until the old key expires', async () => {
    const s = await signUp(t);
    const oldKid = decodeProtectedHeader(s.token).kid!;
    expect((await jwks(t)).map((k) => k.kid)).toEqual([oldKid]);

    // Retire the current key (as time would), then let the ring notice.
    await t.owner(`UPDATE signing_keys SET retire_at = now() - interval '1 second' WHERE kid = $1`, [oldKid]);
    await t.services.keys.reload();
    const keys = (
      await t.owner<{ kid: string }>('SELECT kid FROM signing_keys ORDER BY created_at')
    ).rows.map((r) => r.kid);
    expect(keys).toHaveLength(2);
    const newKid = keys[1]!;

    const fresh = await login(t, s.email);
    expect(decodeProtectedHeader(fresh.token).kid).toBe(newKid);
    expect((await jwks(t)).map((k) => k.kid).sort()).toEqual([oldKid, newKid].sort());
    // A token signed by the retired key still works while that key is published.
    expect((await t.request({ method: 'GET', url: '/api/v1/auth/me', headers: s.headers })).statusCode).toBe(
      200,
    );

    // Once the old key has expired it leaves the JWKS; another process never saw the old token.
    await t.owner(`UPDATE signing_keys SET expires_at = now() - interval '1 second' WHERE kid = $1`, [
      oldKid,
    ]);
    const other = await createSiblingApp(t);
    try {
      expect((await jwks(other)).map((k) => k.kid)).toEqual([newKid]);
      const res = await other.request({ method: 'GET', url: '/api/v1/auth/me', headers: s.headers });
      expect(res.statusCode).toBe(401);
      expect(res.json().type).toBe('urn:bul:error:invalid-token');
      expect(
        (await other.request({ method: 'GET', url: '/api/v1/auth/me', headers: fresh.headers })).statusCode,
      ).toBe(200);
    } finally {
      await other.close();
    }
  });

  it('publishes only public keys and stores the private halves sealed', async () => {
    for (const k of await jwks(t)) expect(k.d).toBeUndefined();
    const { rows } = await t.owner<{ private_sealed: string; public_jwk: { x: string } }>(
      'SELECT private_sealed, public_jwk FROM signing_keys',
    );
    for (const r of rows) {
      expect(r.private_sealed).toMatch(/^v1\.[0-9a-f]{12}\./);
      expect(r.private_sealed).not.toContain(r.public_jwk.x);
    }
  });

  it('a token signed by a key BUL does not know is refused', async () => {
    const s = await signUp(t);
    const [header, payload, signature] = s.token.split('.');
    const forgedHeader = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(header!, 'base64url').toString()), kid: 'unknown-kid' }),
    ).toString('base64url');
    const res = await t.request({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { authorization: `Bearer ${forgedHeader}.${payload}.${signature}` },
    });
    expect(res.statusCode).toBe(401);
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: '01a20000-0000-7000-8000-000000000000' })).toString('base64url')}.${signature}`;
    expect(
      (
        await t.request({
          method: 'GET',
          url: '/api/v1/auth/me',
          headers: { authorization: `Bearer ${tampered}` },
        })
      ).statusCode,
    ).toBe(401);
  });
});
