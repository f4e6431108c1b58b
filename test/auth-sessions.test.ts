// Sessions and credentials: JWT access tokens, rotating refresh tokens with reuse detection,
// logout, browser cookie sessions with CSRF, session management, password changes and policy,
// bcrypt import, progressive lockout, the login rate limit, registration rules and switching
// organization. Real PostgreSQL, real HTTP pipeline (inject), nothing mocked.
import { randomUUID } from 'node:crypto';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../src/platform/crypto/passwords.ts';
import { STRONG_PASSWORD } from './support/constants.ts';
import {
  createTestApp,
  login,
  type Session,
  signUp,
  type TestApp,
  uniqueEmail,
  uniqueSubdomain,
} from './support/test-app.ts';

const NEW_PASSWORD = 'violet-lantern-orchard-42';
const ARGON2_PREFIX = '$argon2id$v=19$m=19456,t=2,p=1$';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t?.close();
});

// ---- helpers ---------------------------------------------------------------------------------

function expectProblem(res: LightMyRequestResponse, status: number, code: string): Record<string, unknown> {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  const body = res.json();
  expect(body.type).toBe(`urn:bul:error:${code}`);
  expect(body.status).toBe(status);
  return body;
}

function fieldsOf(body: Record<string, unknown>): { field: string; rule: string }[] {
  return (body.errors ?? []) as { field: string; rule: string }[];
}

function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p, sig] = token.split('.');
  expect(sig).toBeTruthy();
  return {
    header: JSON.parse(Buffer.from(h!, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(p!, 'base64url').toString('utf8')),
  };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function me(app: TestApp, headers: Record<string, string>) {
  return app.request({ method: 'GET', url: '/api/v1/auth/me', headers });
}

function refresh(app: TestApp, refreshToken: string) {
  return app.request({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken } });
}

function loginRaw(app: TestApp, payload: Record<string, unknown>, remoteAddress?: string) {
  return app.request({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload,
    ...(remoteAddress ? { remoteAddress } : {}),
  });
}

function register(app: TestApp, payload: Record<string, unknown>) {
  return app.request({ method: 'POST', url: '/api/v1/auth/register', payload });
}

async function countRows(app: TestApp, table: string): Promise<number> {
  const { rows } = await app.owner<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0]!.n;
}

async function storedHash(app: TestApp, userId: string): Promise<string> {
  const { rows } = await app.owner<{ password_hash: string }>(
    'SELECT password_hash FROM users WHERE id = $1',
    [userId],
  );
  return rows[0]!.password_hash;
}

// ---- tokens ----------------------------------------------------------------------------------

describe('token sessions', () => {
  it('login returns an EdDSA access token of at most 15 minutes whose kid is in the JWKS, and a refresh token', async () => {
    const s = await signUp(t);
    const res = await loginRaw(t, { email: s.email, password: STRONG_PASSWORD });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('authenticated');
    expect(body.tokenType).toBe('Bearer');
    expect(typeof body.refreshToken).toBe('string');
    expect(body.refreshToken.length).toBeGreaterThan(20);
    expect(body.expiresIn).toBeLessThanOrEqual(900);

    const { header, payload } = decodeJwt(body.accessToken);
    expect(header.alg).toBe('EdDSA');
    expect(typeof header.kid).toBe('string');
    expect(payload.sub).toBe(s.userId);
    expect(payload.sid).toBe(body.sessionId);
    expect(payload.org).toBe(s.orgId);
    expect(typeof payload.exp).toBe('number');
    expect(typeof payload.iat).toBe('number');
    expect((payload.exp as number) - (payload.iat as number)).toBeGreaterThan(0);
    expect((payload.exp as number) - (payload.iat as number)).toBeLessThanOrEqual(900);

    const jwks = await t.request({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(jwks.statusCode).toBe(200);
    const keys = jwks.json().keys as { kid: string; alg?: string; kty: string; d?: string }[];
    const key = keys.find((k) => k.kid === header.kid);
    expect(key).toBeDefined();
    expect(key!.kty).toBe('OKP');
    expect(key!.d).toBeUndefined(); // never the private half

    expect((await me(t, bearer(body.accessToken))).statusCode).toBe(200);
  });

  it('refresh rotates both tokens; reusing a spent refresh token revokes the whole session and is audited', async () => {
    const s = await signUp(t);
    const first = await refresh(t, s.refreshToken);
    expect(first.statusCode, first.body).toBe(200);
    const rotated = first.json();
    expect(rotated.accessToken).toBeTruthy();
    expect(rotated.refreshToken).toBeTruthy();
    expect(rotated.refreshToken).not.toBe(s.refreshToken);
    expect(decodeJwt(rotated.accessToken).payload.iat as number).toBeGreaterThanOrEqual(
      decodeJwt(s.token).payload.iat as number,
    );
    const sessionId = decodeJwt(s.token).payload.sid as string;
    expect(decodeJwt(rotated.accessToken).payload.sid).toBe(sessionId);
    expect((await me(t, bearer(rotated.accessToken))).statusCode).toBe(200);

    // The spent token comes back (stolen or replayed).
    const reuse = await refresh(t, s.refreshToken);
    expectProblem(reuse, 401, 'invalid-token');

    // The whole family is dead: the newest refresh token and every access token of the session.
    expectProblem(await refresh(t, rotated.refreshToken), 401, 'invalid-token');
    expectProblem(await me(t, bearer(rotated.accessToken)), 401, 'invalid-token');
    expectProblem(await me(t, s.headers), 401, 'invalid-token');

    const session = await t.owner('SELECT revoked_at, revoked_reason FROM sessions WHERE id = $1', [
      sessionId,
    ]);
    expect(session.rows[0]!.revoked_at).not.toBeNull();
    const audit = await t.owner(
      `SELECT org_id, actor_id, outcome FROM audit_events
        WHERE action = 'auth.token_reuse' AND resource_type = 'session' AND resource_id = $1`,
      [sessionId],
    );
    expect(audit.rowCount).toBe(1);
    expect(audit.rows[0]).toMatchObject({ org_id: s.orgId, actor_id: s.userId, outcome: 'failure' });
  });

  it('refresh with an unknown refresh token answers 401 invalid-token', async () => {
    expectProblem(await refresh(t, 'rt_not-a-real-refresh-token-at-all'), 401, 'invalid-token');
  });

  it('logout answers 204 and the same access token and refresh token stop working at once', async () => {
    const s = await signUp(t);
    const out = await t.request({ method: 'POST', url: '/api/v1/auth/logout', headers: s.headers });
    expect(out.statusCode).toBe(204);
    expect(out.body).toBe('');
    expectProblem(await me(t, s.headers), 401, 'invalid-token');
    expectProblem(await refresh(t, s.refreshToken), 401, 'invalid-token');
    const audit = await t.owner(`SELECT 1 FROM audit_events WHERE action = 'auth.logout' AND actor_id = $1`, [
      s.userId,
    ]);
    expect(audit.rowCount).toBe(1);
  });
});

// ---- cookie sessions -------------------------------------------------------------------------

async function cookieLogin(app: TestApp, email: string) {
  const res = await loginRaw(app, { email, password: STRONG_PASSWORD, session: 'cookie' });
  expect(res.statusCode, res.body).toBe(200);
  const session = res.cookies.find((c) => c.name === 'bul_session');
  const csrf = res.cookies.find((c) => c.name === 'bul_csrf');
  expect(session).toBeDefined();
  expect(csrf).toBeDefined();
  return { res, body: res.json(), session: session!, csrf: csrf! };
}

describe('cookie sessions', () => {
  it('login with session "cookie" sets an HttpOnly SameSite=Lax session cookie and a readable CSRF cookie', async () => {
    const s = await signUp(t);
    const { body, session, csrf } = await cookieLogin(t, s.email);
    expect(body.status).toBe('authenticated');
    expect(body.accessToken).toBeUndefined();
    expect(body.refreshToken).toBeUndefined();
    expect(typeof body.csrfToken).toBe('string');
    expect(session.httpOnly).toBe(true);
    expect(session.sameSite).toBe('Lax');
    expect(session.path).toBe('/');
    expect(session.secure).toBeFalsy(); // PUBLIC_URL is http://
    expect(csrf.httpOnly).toBeFalsy();
    expect(csrf.sameSite).toBe('Lax');
    expect(csrf.value).toBe(body.csrfToken);

    const who = await me(t, {});
    expectProblem(who, 401, 'unauthenticated');
    const withCookie = await t.request({
      method: 'GET',
      url: '/api/v1/auth/me',
      cookies: { bul_session: session.value },
    });
    expect(withCookie.statusCode, withCookie.body).toBe(200);
    expect(withCookie.json().authMethod).toBe('session');
    expect(withCookie.json().user.id).toBe(s.userId);
    expect(withCookie.json().sessionId).toBe(body.sessionId);
  });

  it('a cookie-authenticated write without X-CSRF-Token, or with a wrong one, is refused 403 csrf-failed and changes nothing', async () => {
    const s = await signUp(t);
    const { body, session } = await cookieLogin(t, s.email);
    const countDepartments = async () =>
      (await t.owner('SELECT count(*)::int AS n FROM departments WHERE org_id = $1', [s.orgId])).rows[0]!.n;
    const before = await countDepartments();

    const missing = await t.request({
      method: 'POST',
      url: '/api/v1/departments',
      cookies: { bul_session: session.value },
      payload: { name: 'No CSRF' },
    });
    expectProblem(missing, 403, 'csrf-failed');

    const wrong = await t.request({
      method: 'POST',
      url: '/api/v1/departments',
      cookies: { bul_session: session.value },
      headers: { 'x-csrf-token': `${body.csrfToken}x` },
      payload: { name: 'Wrong CSRF' },
    });
    expectProblem(wrong, 403, 'csrf-failed');
    expect(await countDepartments()).toBe(before);

    const right = await t.request({
      method: 'POST',
      url: '/api/v1/departments',
      cookies: { bul_session: session.value },
      headers: { 'x-csrf-token': body.csrfToken },
      payload: { name: 'With CSRF' },
    });
    expect(right.statusCode, right.body).toBe(201);
    expect(right.json().name).toBe('With CSRF');
    expect(await countDepartments()).toBe(before + 1);
  });

  it('logout of a cookie session clears the cookies and the cookie stops working', async () => {
    const s = await signUp(t);
    const { body, session } = await cookieLogin(t, s.email);
    const out = await t.request({
      method: 'POST',
      url: '/api/v1/auth/logout',
      cookies: { bul_session: session.value },
      headers: { 'x-csrf-token': body.csrfToken },
    });
    expect(out.statusCode).toBe(204);
    const cleared = out.cookies.find((c) => c.name === 'bul_session');
    expect(cleared?.value).toBe('');
    const after = await t.request({
      method: 'GET',
      url: '/api/v1/auth/me',
      cookies: { bul_session: session.value },
    });
    expectProblem(after, 401, 'unauthenticated');
  });
});

// ---- session management ----------------------------------------------------------------------

describe('my sessions', () => {
  it('lists my sessions with the current one flagged, and revokes another one', async () => {
    const a = await signUp(t);
    const b = await login(t, a.email);
    const other = await signUp(t);
    const list = await t.request({ method: 'GET', url: '/api/v1/auth/sessions', headers: a.headers });
    expect(list.statusCode).toBe(200);
    const items = list.json().items as { id: string; current: boolean; kind: string }[];
    const aSid = decodeJwt(a.token).payload.sid as string;
    const bSid = decodeJwt(b.token).payload.sid as string;
    expect(items.map((i) => i.id).sort()).toEqual([aSid, bSid].sort());
    expect(items.find((i) => i.id === aSid)!.current).toBe(true);
    expect(items.find((i) => i.id === bSid)!.current).toBe(false);
    expect(items.every((i) => i.kind === 'token')).toBe(true);

    const del = await t.request({
      method: 'DELETE',
      url: `/api/v1/auth/sessions/${bSid}`,
      headers: a.headers,
    });
    expect(del.statusCode).toBe(204);
    expectProblem(await me(t, b.headers), 401, 'invalid-token');
    expectProblem(await refresh(t, b.refreshToken), 401, 'invalid-token');
    expect((await me(t, a.headers)).statusCode).toBe(200);
    const again = await t.request({ method: 'GET', url: '/api/v1/auth/sessions', headers: a.headers });
    expect((again.json().items as { id: string }[]).map((i) => i.id)).toEqual([aSid]);

    // Another user's session is not mine to see or end.
    const otherSid = decodeJwt(other.token).payload.sid as string;
    const foreign = await t.request({
      method: 'DELETE',
      url: `/api/v1/auth/sessions/${otherSid}`,
      headers: a.headers,
    });
    expectProblem(foreign, 404, 'not-found');
    expect((await me(t, other.headers)).statusCode).toBe(200);
  });

  it('revoking an unknown session id answers 404 not-found; a non-UUID id answers 400', async () => {
    const a = await signUp(t);
    const unknown = await t.request({
      method: 'DELETE',
      url: '/api/v1/auth/sessions/0190a5d0-0000-7000-8000-000000000000',
      headers: a.headers,
    });
    expectProblem(unknown, 404, 'not-found');
    const bad = await t.request({
      method: 'DELETE',
      url: '/api/v1/auth/sessions/not-a-uuid',
      headers: a.headers,
    });
    expectProblem(bad, 400, 'validation-failed');
  });

  it('revoke-others ends every other session of mine and keeps the current one', async () => {
    const a = await signUp(t);
    const b = await login(t, a.email);
    const c = await login(t, a.email);
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/auth/sessions/revoke-others',
      headers: a.headers,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ revoked: 2 });
    expectProblem(await me(t, b.headers), 401, 'invalid-token');
    expectProblem(await me(t, c.headers), 401, 'invalid-token');
    expect((await me(t, a.headers)).statusCode).toBe(200);
    const live = await t.owner(
      'SELECT count(*)::int AS n FROM sessions WHERE user_id = $1 AND revoked_at IS NULL',
      [a.userId],
    );
    expect(live.rows[0]!.n).toBe(1);
  });
});

// ---- passwords -------------------------------------------------------------------------------

describe('password change', () => {
  function changePassword(headers: Record<string, string>, currentPassword: string, newPassword: string) {
    return t.request({
      method: 'PUT',
      url: '/api/v1/auth/password',
      headers,
      payload: { currentPassword, newPassword },
    });
  }

  it('a wrong current password answers 401 invalid-credentials naming currentPassword and changes nothing', async () => {
    const a = await signUp(t);
    const before = await storedHash(t, a.userId);
    const res = await changePassword(a.headers, 'not-my-password-at-all', NEW_PASSWORD);
    const body = expectProblem(res, 401, 'invalid-credentials');
    expect(fieldsOf(body)).toContainEqual(expect.objectContaining({ field: 'currentPassword' }));
    expect(await storedHash(t, a.userId)).toBe(before);
  });

  it.each([
    ['too short (11 characters)', 'Sh0rt-pass!'],
    ["breached ('password1234')", 'password1234'],
    ["breached ('qwertyuiop12')", 'qwertyuiop12'],
  ])('a weak new password, %s, answers 422 weak-password naming newPassword', async (_label, weak) => {
    const a = await signUp(t);
    const b = await login(t, a.email);
    const before = await storedHash(t, a.userId);
    const body = expectProblem(await changePassword(a.headers, STRONG_PASSWORD, weak), 422, 'weak-password');
    expect(fieldsOf(body)).toContainEqual(
      expect.objectContaining({ field: 'newPassword', rule: 'passwordPolicy' }),
    );
    expect(await storedHash(t, a.userId)).toBe(before);
    expect((await me(t, b.headers)).statusCode).toBe(200); // nothing revoked
  });

  it('a successful change answers 204, revokes my other sessions, keeps this one and the new password logs in', async () => {
    const a = await signUp(t);
    const b = await login(t, a.email);
    const res = await changePassword(a.headers, STRONG_PASSWORD, NEW_PASSWORD);
    expect(res.statusCode, res.body).toBe(204);
    expectProblem(await me(t, b.headers), 401, 'invalid-token');
    expectProblem(await refresh(t, b.refreshToken), 401, 'invalid-token');
    expect((await me(t, a.headers)).statusCode).toBe(200);

    expectProblem(
      await loginRaw(t, { email: a.email, password: STRONG_PASSWORD }),
      401,
      'invalid-credentials',
    );
    const fresh = await login(t, a.email, NEW_PASSWORD);
    expect(fresh.userId).toBe(a.userId);
    expect((await storedHash(t, a.userId)).startsWith(ARGON2_PREFIX)).toBe(true);
    const audit = await t.owner(
      `SELECT metadata FROM audit_events WHERE action = 'auth.password_change' AND actor_id = $1`,
      [a.userId],
    );
    expect(audit.rowCount).toBe(1);
    expect(audit.rows[0]!.metadata).toMatchObject({ otherSessionsRevoked: 1 });
  });
});

describe('password policy at registration', () => {
  it.each([
    ['shorter than 12 characters', () => 'Tiny-pass-1'],
    ["the breached 'qwertyuiop12'", () => 'qwertyuiop12'],
    ["the breached 'password1234!'", () => 'password1234!'],
    ['containing the e-mail local part', (local: string) => `${local}-Garden-77`],
  ])('a password %s answers 422 weak-password naming password and stores nothing', async (_label, make) => {
    const local = `zephyrquill${Math.floor(Math.random() * 1e6)}`;
    const users = await countRows(t, 'users');
    const orgs = await countRows(t, 'organizations');
    const res = await register(t, {
      email: `${local}@example.com`,
      password: make(local),
      name: 'Weak Password',
      organization: { name: 'Weak Org', subdomain: uniqueSubdomain() },
    });
    const body = expectProblem(res, 422, 'weak-password');
    expect(fieldsOf(body)).toContainEqual(
      expect.objectContaining({ field: 'password', rule: 'passwordPolicy' }),
    );
    expect(await countRows(t, 'users')).toBe(users);
    expect(await countRows(t, 'organizations')).toBe(orgs);
  });

  it('stores new passwords as argon2id with m=19456, t=2, p=1', async () => {
    const s = await signUp(t);
    const stored = await storedHash(t, s.userId);
    expect(stored.startsWith(ARGON2_PREFIX)).toBe(true);
    expect(stored).not.toContain(STRONG_PASSWORD);
  });
});

describe('bcrypt import', () => {
  it('a user imported with a bcrypt hash (no membership) logs in and the hash is upgraded to argon2id', async () => {
    const email = uniqueEmail('imported');
    const userId = randomUUID();
    await t.owner(`INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, 'Imported', $3)`, [
      userId,
      email,
      await bcryptHash(STRONG_PASSWORD, { cost: 10 }),
    ]);
    expect((await storedHash(t, userId)).startsWith('$2')).toBe(true);

    expectProblem(
      await loginRaw(t, { email, password: 'the-wrong-password-42' }),
      401,
      'invalid-credentials',
    );
    expect((await storedHash(t, userId)).startsWith('$2')).toBe(true);

    const res = await loginRaw(t, { email, password: STRONG_PASSWORD });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().user.id).toBe(userId);
    expect(res.json().organization).toBeNull();
    expect((await storedHash(t, userId)).startsWith(ARGON2_PREFIX)).toBe(true);
    // And the upgraded hash verifies the same password.
    const again = await login(t, email);
    expect(again.userId).toBe(userId);
    const who = await me(t, again.headers);
    expect(who.statusCode).toBe(200);
    expect(who.json().organization).toBeNull();
  });
});

// ---- registration rules ----------------------------------------------------------------------

describe('registration rules', () => {
  function body(email: string, subdomain: string) {
    return {
      email,
      password: STRONG_PASSWORD,
      name: 'Reg User',
      organization: { name: 'Reg Org', subdomain },
    };
  }

  it('registering an e-mail that already exists (in any letter case) answers 409 naming email', async () => {
    const email = uniqueEmail('dup');
    expect((await register(t, body(email, uniqueSubdomain()))).statusCode).toBe(201);
    const users = await countRows(t, 'users');
    const orgs = await countRows(t, 'organizations');
    for (const again of [email, email.toUpperCase()]) {
      const res = await register(t, body(again, uniqueSubdomain()));
      const problem = expectProblem(res, 409, 'conflict');
      expect(fieldsOf(problem)).toContainEqual(expect.objectContaining({ field: 'email', rule: 'unique' }));
    }
    expect(await countRows(t, 'users')).toBe(users);
    expect(await countRows(t, 'organizations')).toBe(orgs);
  });

  it('registering a subdomain that is taken answers 409 naming organization.subdomain', async () => {
    const sub = uniqueSubdomain();
    expect((await register(t, body(uniqueEmail(), sub))).statusCode).toBe(201);
    const users = await countRows(t, 'users');
    const problem = expectProblem(await register(t, body(uniqueEmail(), sub)), 409, 'conflict');
    expect(fieldsOf(problem)).toContainEqual(
      expect.objectContaining({ field: 'organization.subdomain', rule: 'unique' }),
    );
    expect(await countRows(t, 'users')).toBe(users);
  });

  it("registering the reserved subdomain 'admin' answers 400 naming organization.subdomain", async () => {
    const users = await countRows(t, 'users');
    const problem = expectProblem(await register(t, body(uniqueEmail(), 'admin')), 400, 'validation-failed');
    expect(fieldsOf(problem)).toContainEqual(
      expect.objectContaining({ field: 'organization.subdomain', rule: 'reserved' }),
    );
    expect(await countRows(t, 'users')).toBe(users);
    const { rowCount } = await t.owner(`SELECT 1 FROM organizations WHERE subdomain = 'admin'`);
    expect(rowCount).toBe(0);
  });
});

// ---- switching organization ------------------------------------------------------------------

describe('switching organization', () => {
  let a: Session;
  let secondOrgId: string;
  let stranger: Session;

  beforeAll(async () => {
    a = await signUp(t, { orgName: 'First Org' });
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/organizations',
      headers: a.headers,
      payload: { name: 'Second Org', subdomain: uniqueSubdomain('second') },
    });
    expect(res.statusCode, res.body).toBe(201);
    secondOrgId = res.json().id;
    stranger = await signUp(t, { orgName: 'Stranger Org' });
  });

  it('switch-organization returns a token for the other organization and /auth/me reflects it', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/auth/switch-organization',
      headers: a.headers,
      payload: { organizationId: secondOrgId },
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.organization.id).toBe(secondOrgId);
    expect(decodeJwt(body.accessToken).payload.org).toBe(secondOrgId);
    const who = await me(t, bearer(body.accessToken));
    expect(who.statusCode).toBe(200);
    expect(who.json().organization.id).toBe(secondOrgId);
    expect(who.json().organization.name).toBe('Second Org');
    expect(who.json().role.key).toBe('org_admin');

    // The session now defaults to the second organization: a refresh issues tokens for it.
    const next = await refresh(t, a.refreshToken);
    expect(next.statusCode, next.body).toBe(200);
    expect(decodeJwt(next.json().accessToken).payload.org).toBe(secondOrgId);
    a = { ...a, refreshToken: next.json().refreshToken };
  });

  it('a cookie session switches organization too (no token, the session itself moves)', async () => {
    const res = await loginRaw(t, {
      email: a.email,
      password: STRONG_PASSWORD,
      session: 'cookie',
      organization: a.orgId,
    });
    expect(res.statusCode, res.body).toBe(200);
    const cookie = res.cookies.find((c) => c.name === 'bul_session')!.value;
    const csrf = res.json().csrfToken as string;
    const sw = await t.request({
      method: 'POST',
      url: '/api/v1/auth/switch-organization',
      cookies: { bul_session: cookie },
      headers: { 'x-csrf-token': csrf },
      payload: { organizationId: secondOrgId },
    });
    expect(sw.statusCode, sw.body).toBe(200);
    expect(sw.json().accessToken).toBeUndefined();
    expect(sw.json().organization.id).toBe(secondOrgId);
    const who = await t.request({ method: 'GET', url: '/api/v1/auth/me', cookies: { bul_session: cookie } });
    expect(who.statusCode).toBe(200);
    expect(who.json().organization.id).toBe(secondOrgId);
  });

  it('X-Organization-ID selects the organization of a single request', async () => {
    const first = await me(t, { ...a.headers, 'x-organization-id': a.orgId });
    expect(first.statusCode).toBe(200);
    expect(first.json().organization.id).toBe(a.orgId);
    const second = await me(t, { ...a.headers, 'x-organization-id': secondOrgId });
    expect(second.statusCode).toBe(200);
    expect(second.json().organization.id).toBe(secondOrgId);
  });

  it('switching to, or naming with X-Organization-ID, an organization I am not a member of answers 403', async () => {
    const sw = await t.request({
      method: 'POST',
      url: '/api/v1/auth/switch-organization',
      headers: a.headers,
      payload: { organizationId: stranger.orgId },
    });
    expectProblem(sw, 403, 'forbidden');
    const hdr = await me(t, { ...a.headers, 'x-organization-id': stranger.orgId });
    expectProblem(hdr, 403, 'forbidden');
    const sid = decodeJwt(a.token).payload.sid as string;
    const { rows } = await t.owner<{ org_id: string }>('SELECT org_id FROM sessions WHERE id = $1', [sid]);
    expect(rows[0]!.org_id).not.toBe(stranger.orgId);
  });

  it('an X-Organization-ID that is not a UUID answers 400 naming the header', async () => {
    const res = await me(t, { ...a.headers, 'x-organization-id': 'not-a-uuid' });
    const body = expectProblem(res, 400, 'validation-failed');
    expect(fieldsOf(body)).toContainEqual(expect.objectContaining({ field: 'x-organization-id' }));
  });
});

// ---- brute-force protection ------------------------------------------------------------------

// One more database for these settings (an https PUBLIC_URL changes nothing in the lockout).
describe('an installation on https with a strict lockout', () => {
  let l: TestApp;
  let victim: Session;

  beforeAll(async () => {
    l = await createTestApp({
      PUBLIC_URL: 'https://bul.example.com',
      LOCKOUT_ACCOUNT_THRESHOLD: '3',
      LOCKOUT_IP_THRESHOLD: '5',
      LOCKOUT_BASE: '2s',
      LOCKOUT_MAX: '1h',
    });
    victim = await signUp(l);
  });
  afterAll(async () => {
    await l?.close();
  });

  it('cookies are Secure when PUBLIC_URL is https', async () => {
    const s = await signUp(l);
    const { session, csrf } = await cookieLogin(l, s.email);
    expect(session.secure).toBe(true);
    expect(session.httpOnly).toBe(true);
    expect(session.sameSite).toBe('Lax');
    expect(csrf.secure).toBe(true);
  });

  const wrong = (email: string) => ({ email, password: 'definitely-not-it-999' });
  const retryAfter = (res: LightMyRequestResponse) => Number(res.headers['retry-after']);

  it('after threshold failures even the right password gets 429 account-locked, and the lock doubles with the next failure', async () => {
    const ip = '10.0.0.1';
    for (let i = 0; i < 3; i++)
      expectProblem(await loginRaw(l, wrong(victim.email), ip), 401, 'invalid-credentials');

    const locked = await loginRaw(l, { email: victim.email, password: STRONG_PASSWORD }, ip);
    expectProblem(locked, 429, 'account-locked');
    const firstWait = retryAfter(locked);
    // A 2 s lock (Retry-After rounds the time left up to whole seconds).
    expect(firstWait).toBeGreaterThanOrEqual(1);
    expect(firstWait).toBeLessThanOrEqual(2);
    // The lock is on the account, not on the address.
    expectProblem(
      await loginRaw(l, { email: victim.email, password: STRONG_PASSWORD }, '10.0.0.9'),
      429,
      'account-locked',
    );

    // Once the first lock ends, one more failure locks for twice as long.
    let res = await loginRaw(l, wrong(victim.email), ip);
    for (let i = 0; res.statusCode === 429 && i < 40; i++) {
      await new Promise((r) => setTimeout(r, 100));
      res = await loginRaw(l, wrong(victim.email), ip);
    }
    expectProblem(res, 401, 'invalid-credentials');
    const relocked = await loginRaw(l, { email: victim.email, password: STRONG_PASSWORD }, ip);
    expectProblem(relocked, 429, 'account-locked');
    expect(retryAfter(relocked)).toBeGreaterThanOrEqual(3);
    expect(retryAfter(relocked)).toBeLessThanOrEqual(4);
    expect(retryAfter(relocked)).toBeGreaterThan(firstWait);

    const { rows } = await l.owner<{ metadata: { lockedForSeconds?: number } }>(
      `SELECT metadata FROM audit_events WHERE action = 'auth.login' AND outcome = 'failure' AND actor_id = $1
        ORDER BY created_at, id`,
      [victim.userId],
    );
    expect(rows.map((r) => r.metadata.lockedForSeconds ?? 0)).toEqual([0, 0, 2, 4]);
  });

  it('an unknown e-mail locks the same way as a known one (no enumeration)', async () => {
    const ip = '10.0.0.3';
    const known = await signUp(l);
    const unknown = uniqueEmail('nobody');
    const answers: LightMyRequestResponse[][] = [[], []];
    for (let i = 0; i < 3; i++) {
      answers[0]!.push(await loginRaw(l, wrong(known.email), ip));
      answers[1]!.push(await loginRaw(l, wrong(unknown), '10.0.0.4'));
    }
    const lockedKnown = await loginRaw(l, wrong(known.email), ip);
    const lockedUnknown = await loginRaw(l, wrong(unknown), '10.0.0.4');
    for (const [k, u] of answers[0]!.map((r, i) => [r, answers[1]![i]!] as const)) {
      expectProblem(k, 401, 'invalid-credentials');
      expectProblem(u, 401, 'invalid-credentials');
      expect(u.json().detail).toBe(k.json().detail);
    }
    const pk = expectProblem(lockedKnown, 429, 'account-locked');
    const pu = expectProblem(lockedUnknown, 429, 'account-locked');
    const withoutNumbers = (d: unknown) => String(d).replace(/\d+/g, 'N');
    expect(withoutNumbers(pu.detail)).toBe(withoutNumbers(pk.detail));
    for (const res of [lockedKnown, lockedUnknown]) {
      expect(retryAfter(res)).toBeGreaterThanOrEqual(1);
      expect(retryAfter(res)).toBeLessThanOrEqual(2);
    }
    // Both locks were the same length: the audit trail records each.
    const { rows } = await l.owner<{ email: string; locked: number }>(
      `SELECT metadata->>'email' AS email, (metadata->>'lockedForSeconds')::int AS locked FROM audit_events
        WHERE action = 'auth.login' AND outcome = 'failure' AND metadata->>'email' = ANY($1)
          AND metadata ? 'lockedForSeconds'`,
      [[known.email, unknown]],
    );
    expect(rows.map((r) => [r.email, r.locked]).sort()).toEqual(
      [
        [known.email, 2],
        [unknown, 2],
      ].sort(),
    );
  });

  it('one address failing on many different e-mails is locked out for every account, other addresses are not', async () => {
    const ip = '10.0.0.5';
    for (let i = 0; i < 5; i++)
      expectProblem(await loginRaw(l, wrong(uniqueEmail('spray')), ip), 401, 'invalid-credentials');
    const someone = await signUp(l);
    const blocked = await loginRaw(l, { email: someone.email, password: STRONG_PASSWORD }, ip);
    expectProblem(blocked, 429, 'account-locked');
    expect(retryAfter(blocked)).toBeGreaterThanOrEqual(1);
    const elsewhere = await loginRaw(l, { email: someone.email, password: STRONG_PASSWORD }, '10.0.0.6');
    expect(elsewhere.statusCode, elsewhere.body).toBe(200);
  });
});

describe('an installation with registration closed and a strict login rate limit', () => {
  let r: TestApp;
  beforeAll(async () => {
    r = await createTestApp({
      REGISTRATION_ENABLED: 'false',
      RATE_LIMIT_LOGIN_BURST: '5',
      RATE_LIMIT_LOGIN_PER_SECOND: '1',
    });
  });
  afterAll(async () => {
    await r?.close();
  });

  it('with REGISTRATION_ENABLED=false sign-up answers 403 registration-closed and stores nothing', async () => {
    const res = await register(r, {
      email: uniqueEmail(),
      password: STRONG_PASSWORD,
      name: 'Closed',
      organization: { name: 'Closed Org', subdomain: uniqueSubdomain() },
    });
    expectProblem(res, 403, 'registration-closed');
    expect(await countRows(r, 'users')).toBe(0);
    expect(await countRows(r, 'organizations')).toBe(0);
  });

  it('the 6th quick login attempt from one address answers 429 rate-limited with Retry-After; another address is unaffected', async () => {
    // Sign-up is closed here: the account is created directly.
    const s = { email: uniqueEmail('rl') };
    await r.owner(`INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, 'Rate Limited', $3)`, [
      randomUUID(),
      s.email,
      await hashPassword(STRONG_PASSWORD),
    ]);
    const ip = '10.2.0.1';
    for (let i = 0; i < 5; i++)
      expectProblem(
        await loginRaw(r, { email: s.email, password: 'wrong-password-here-1' }, ip),
        401,
        'invalid-credentials',
      );
    const sixth = await loginRaw(r, { email: s.email, password: STRONG_PASSWORD }, ip);
    expectProblem(sixth, 429, 'rate-limited');
    expect(Number(sixth.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const other = await loginRaw(r, { email: s.email, password: STRONG_PASSWORD }, '10.2.0.2');
    expect(other.statusCode, other.body).toBe(200);
  });
});
