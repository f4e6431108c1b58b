// MFA through the HTTP API: TOTP enrolment, the two-step login, replay and recovery codes,
// lockout, organizations that require MFA, disabling, audit events and secret storage.
import type { LightMyRequestResponse } from 'fastify';
import { generateSync } from 'otplib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRONG_PASSWORD } from './support/constants.ts';
import { addMember, createTestApp, login, type Session, signUp, type TestApp } from './support/test-app.ts';

const PERIOD = 30;
const currentStep = () => Math.floor(Date.now() / 1000 / PERIOD);
const codeAtStep = (secret: string, step: number) =>
  generateSync({ secret, strategy: 'totp', epoch: step * PERIOD });

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t?.close();
});

// ---- helpers -------------------------------------------------------------------------------------

function post(app: TestApp, url: string, payload?: unknown, headers?: Record<string, string>) {
  return app.request({
    method: 'POST',
    url: `/api/v1${url}`,
    ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
    ...(headers ? { headers } : {}),
  });
}

function expectProblem(res: LightMyRequestResponse, status: number, code: string): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.json().type).toBe(`urn:bul:error:${code}`);
}

function expectFieldError(res: LightMyRequestResponse, field: string, rule: string): void {
  expectProblem(res, 400, 'validation-failed');
  expect(res.json().errors).toContainEqual(expect.objectContaining({ field, rule }));
}

interface UserMfaRow {
  mfa_enabled: boolean;
  mfa_secret_sealed: string | null;
  mfa_pending_secret_sealed: string | null;
  mfa_last_time_step: number | null; // bigint, parsed to number by the app's pg type parser
}

async function userRow(app: TestApp, userId: string): Promise<UserMfaRow> {
  const { rows } = await app.owner<UserMfaRow>(
    'SELECT mfa_enabled, mfa_secret_sealed, mfa_pending_secret_sealed, mfa_last_time_step FROM users WHERE id = $1',
    [userId],
  );
  return rows[0]!;
}

async function unusedRecoveryCodes(app: TestApp, userId: string): Promise<number> {
  const { rows } = await app.owner<{ n: number }>(
    'SELECT count(*)::int AS n FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL',
    [userId],
  );
  return rows[0]!.n;
}

/**
 * A code the server has not consumed yet for this user: the current step, or the next one after
 * the last step it recorded (verification accepts one step of drift, so no waiting is needed).
 */
async function freshCode(app: TestApp, userId: string, secret: string): Promise<string> {
  const last = (await userRow(app, userId)).mfa_last_time_step;
  const now = currentStep();
  const step = last === null ? now : Math.max(now, Number(last) + 1);
  if (step > now + 1) throw new Error('test bug: this user already used the codes of this and the next step');
  return codeAtStep(secret, step);
}

/** Six digits matching none of the steps around now. */
function wrongCode(secret: string): string {
  const now = currentStep();
  const near = new Set([-2, -1, 0, 1, 2].map((d) => codeAtStep(secret, now + d)));
  for (let n = 0; ; n++) {
    const code = String((123456 + n * 7919) % 1_000_000).padStart(6, '0');
    if (!near.has(code)) return code;
  }
}

/**
 * Runs `requests` while another connection holds the user's row locked, and lets go once
 * `waiters` backends wait for a lock (or after ~10 s): concurrent requests then really overlap.
 */
async function whileUserRowLocked<T>(
  app: TestApp,
  userId: string,
  waiters: number,
  requests: () => Promise<T>,
): Promise<T> {
  const holder = new pg.Client({ connectionString: app.ownerUrl });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM users WHERE id = $1 FOR UPDATE', [userId]);
    const pending = requests();
    pending.catch(() => {}); // awaited below
    for (let i = 0; i < 200; i++) {
      const { rows } = await app.owner<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if (rows[0]!.n >= waiters) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await holder.query('COMMIT');
    return await pending;
  } finally {
    await holder.end();
  }
}

interface Enrolled {
  s: Session;
  secret: string;
  recoveryCodes: string[];
}

/** Signs up (unless given a session), sets up TOTP and enables it. */
async function enrol(app: TestApp, session?: Session): Promise<Enrolled> {
  const s = session ?? (await signUp(app));
  const setup = await post(app, '/auth/mfa/setup', undefined, s.headers);
  expect(setup.statusCode, setup.body).toBe(200);
  const { secret } = setup.json() as { secret: string };
  const enable = await post(
    app,
    '/auth/mfa/enable',
    { code: await freshCode(app, s.userId, secret) },
    s.headers,
  );
  expect(enable.statusCode, enable.body).toBe(200);
  return { s, secret, recoveryCodes: enable.json().recoveryCodes };
}

/** First login step of an enrolled (or enrolment-bound) user: returns the body with the mfaToken. */
async function passwordStep(
  app: TestApp,
  email: string,
  extra: Record<string, unknown> = {},
): Promise<{ status: string; mfaToken: string; enrollmentRequired?: boolean; [k: string]: unknown }> {
  const res = await post(app, '/auth/login', { email, password: STRONG_PASSWORD, ...extra });
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json();
  expect(body.status).toBe('mfa_required');
  expect(typeof body.mfaToken).toBe('string');
  return body;
}

// ---- enrolment -----------------------------------------------------------------------------------

describe('enrolment of a signed-in user', () => {
  it('setup answers a base32 secret and an otpauth://totp URI with issuer BUL, and stores it pending', async () => {
    const s = await signUp(t);
    const res = await post(t, '/auth/mfa/setup', undefined, s.headers);
    expect(res.statusCode).toBe(200);
    const { secret, otpauthUrl } = res.json();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauthUrl).toMatch(/^otpauth:\/\/totp\//);
    const url = new URL(otpauthUrl);
    expect(url.searchParams.get('secret')).toBe(secret);
    expect(url.searchParams.get('issuer')).toBe('BUL');
    expect(decodeURIComponent(url.pathname)).toBe(`/BUL:${s.email}`);
    const row = await userRow(t, s.userId);
    expect(row.mfa_enabled).toBe(false);
    expect(row.mfa_pending_secret_sealed).not.toBeNull();
    expect(row.mfa_secret_sealed).toBeNull();
  });

  it('enable with a wrong code answers 401 invalid-mfa-code and leaves MFA off', async () => {
    const s = await signUp(t);
    const { secret } = (await post(t, '/auth/mfa/setup', undefined, s.headers)).json();
    const res = await post(t, '/auth/mfa/enable', { code: wrongCode(secret) }, s.headers);
    expectProblem(res, 401, 'invalid-mfa-code');
    const row = await userRow(t, s.userId);
    expect(row.mfa_enabled).toBe(false);
    expect(row.mfa_secret_sealed).toBeNull();
    expect(await unusedRecoveryCodes(t, s.userId)).toBe(0);
    const me = await t.request({ method: 'GET', url: '/api/v1/auth/me', headers: s.headers });
    expect(me.json().user.mfaEnabled).toBe(false);
  });

  it('enable with a code of five digits answers 400 naming code (pattern) and changes nothing', async () => {
    const s = await signUp(t);
    await post(t, '/auth/mfa/setup', undefined, s.headers);
    const before = await userRow(t, s.userId);
    const res = await post(t, '/auth/mfa/enable', { code: '12345' }, s.headers);
    expectFieldError(res, 'code', 'pattern');
    expect(await userRow(t, s.userId)).toEqual(before);
  });

  it('enable before setup answers 409 conflict', async () => {
    const s = await signUp(t);
    const res = await post(t, '/auth/mfa/enable', { code: '123456' }, s.headers);
    expectProblem(res, 409, 'conflict');
    expect((await userRow(t, s.userId)).mfa_enabled).toBe(false);
  });

  it('a second setup replaces the pending secret: codes of the first one no longer enable', async () => {
    const s = await signUp(t);
    const first = (await post(t, '/auth/mfa/setup', undefined, s.headers)).json().secret as string;
    const second = (await post(t, '/auth/mfa/setup', undefined, s.headers)).json().secret as string;
    expect(second).not.toBe(first);
    const stale = await post(t, '/auth/mfa/enable', { code: codeAtStep(first, currentStep()) }, s.headers);
    expectProblem(stale, 401, 'invalid-mfa-code');
    const ok = await post(t, '/auth/mfa/enable', { code: codeAtStep(second, currentStep()) }, s.headers);
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it('enable with the right code returns 10 recovery codes once; setup and enable again answer 409', async () => {
    const s = await signUp(t);
    const { secret } = (await post(t, '/auth/mfa/setup', undefined, s.headers)).json();
    const res = await post(t, '/auth/mfa/enable', { code: codeAtStep(secret, currentStep()) }, s.headers);
    expect(res.statusCode, res.body).toBe(200);
    const codes = res.json().recoveryCodes as string[];
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c.length).toBeGreaterThanOrEqual(8);
    const row = await userRow(t, s.userId);
    expect(row.mfa_enabled).toBe(true);
    expect(row.mfa_pending_secret_sealed).toBeNull();
    expect(row.mfa_secret_sealed).not.toBeNull();
    expect(await unusedRecoveryCodes(t, s.userId)).toBe(10);
    const me = await t.request({ method: 'GET', url: '/api/v1/auth/me', headers: s.headers });
    expect(me.json().user.mfaEnabled).toBe(true);

    expectProblem(await post(t, '/auth/mfa/setup', undefined, s.headers), 409, 'conflict');
    const again = await post(t, '/auth/mfa/enable', { code: codeAtStep(secret, currentStep()) }, s.headers);
    expectProblem(again, 409, 'conflict');
    expect((await userRow(t, s.userId)).mfa_secret_sealed).toBe(row.mfa_secret_sealed);
  });

  it('setup without a session answers 401 unauthenticated', async () => {
    expectProblem(await post(t, '/auth/mfa/setup'), 401, 'unauthenticated');
  });
});

describe('storage of the second factor', () => {
  it('the TOTP secret and the recovery codes are not stored in clear', async () => {
    const { s, secret, recoveryCodes } = await enrol(t);
    const row = await userRow(t, s.userId);
    expect(row.mfa_secret_sealed).not.toBeNull();
    const forms = [secret, secret.toLowerCase(), Buffer.from(secret).toString('base64')];
    const { rows } = await t.owner<{ text: string }>('SELECT u::text AS text FROM users u WHERE id = $1', [
      s.userId,
    ]);
    for (const form of forms) {
      expect(row.mfa_secret_sealed).not.toContain(form);
      expect(rows[0]!.text).not.toContain(form);
    }
    const stored = await t.owner<{ code_hash: string }>(
      'SELECT code_hash FROM mfa_recovery_codes WHERE user_id = $1',
      [s.userId],
    );
    expect(stored.rows).toHaveLength(10);
    const all = stored.rows.map((r) => r.code_hash).join(' ');
    for (const code of recoveryCodes) {
      expect(all).not.toContain(code);
      expect(all).not.toContain(code.replace('-', ''));
    }
  });
});

// ---- login ---------------------------------------------------------------------------------------

describe('login with MFA', () => {
  it('the password step of an enrolled user answers mfa_required with an mfaToken and no tokens', async () => {
    const { s } = await enrol(t);
    const sessionsBefore = await t.owner('SELECT id FROM sessions WHERE user_id = $1', [s.userId]);
    const body = await passwordStep(t, s.email);
    expect(body.enrollmentRequired).toBe(false);
    for (const k of ['accessToken', 'refreshToken', 'sessionId', 'csrfToken', 'user']) {
      expect(body).not.toHaveProperty(k);
    }
    const sessionsAfter = await t.owner('SELECT id FROM sessions WHERE user_id = $1', [s.userId]);
    expect(sessionsAfter.rowCount).toBe(sessionsBefore.rowCount);
  });

  it('the mfaToken is not an access token: /auth/me with it answers 401 invalid-token', async () => {
    const { s } = await enrol(t);
    const { mfaToken } = await passwordStep(t, s.email);
    const me = await t.request({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { authorization: `Bearer ${mfaToken}` },
    });
    expectProblem(me, 401, 'invalid-token');
  });

  it('the TOTP code completes the login; the same code again is refused as a replay', async () => {
    const { s, secret } = await enrol(t);
    const { mfaToken } = await passwordStep(t, s.email);
    const code = await freshCode(t, s.userId, secret);
    const res = await post(t, '/auth/login/mfa', { mfaToken, code });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.status).toBe('authenticated');
    expect(typeof body.accessToken).toBe('string');
    expect(typeof body.refreshToken).toBe('string');
    expect(body.user.mfaEnabled).toBe(true);
    expect(body.organization.id).toBe(s.orgId);
    expect(body).not.toHaveProperty('recoveryCodes');
    const me = await t.request({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { authorization: `Bearer ${body.accessToken}` },
    });
    expect(me.statusCode).toBe(200);
    const session = await t.owner<{ mfa_verified: boolean }>(
      'SELECT mfa_verified FROM sessions WHERE id = $1',
      [body.sessionId],
    );
    expect(session.rows[0]!.mfa_verified).toBe(true);

    // Replay with the same mfaToken, and with a new password step.
    expectProblem(await post(t, '/auth/login/mfa', { mfaToken, code }), 401, 'invalid-mfa-code');
    const second = await passwordStep(t, s.email);
    expectProblem(
      await post(t, '/auth/login/mfa', { mfaToken: second.mfaToken, code }),
      401,
      'invalid-mfa-code',
    );
  });

  it('the same code sent five times at the same moment is accepted only once', async () => {
    const { s, secret } = await enrol(t);
    const tokens: string[] = [];
    for (let i = 0; i < 5; i++) tokens.push((await passwordStep(t, s.email)).mfaToken);
    const code = await freshCode(t, s.userId, secret);
    // The user's row is held locked while the five requests arrive, so they overlap for sure.
    const results = await whileUserRowLocked(t, s.userId, tokens.length, () =>
      Promise.all(tokens.map((mfaToken) => post(t, '/auth/login/mfa', { mfaToken, code }))),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401, 401, 401, 401]);
    for (const r of results.filter((x) => x.statusCode === 401)) {
      expect(r.json().type).toBe('urn:bul:error:invalid-mfa-code');
    }
  });

  it('a recovery code logs in once; its second use answers 401 invalid-mfa-code', async () => {
    const { s, recoveryCodes } = await enrol(t);
    const first = await passwordStep(t, s.email);
    const ok = await post(t, '/auth/login/mfa', { mfaToken: first.mfaToken, recoveryCode: recoveryCodes[0] });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().status).toBe('authenticated');
    expect(typeof ok.json().accessToken).toBe('string');
    expect(await unusedRecoveryCodes(t, s.userId)).toBe(9);

    const second = await passwordStep(t, s.email);
    const again = await post(t, '/auth/login/mfa', {
      mfaToken: second.mfaToken,
      recoveryCode: recoveryCodes[0],
    });
    expectProblem(again, 401, 'invalid-mfa-code');
    expect(await unusedRecoveryCodes(t, s.userId)).toBe(9);
  });

  it('a recovery code typed in upper case still works (and only once)', async () => {
    const { s, recoveryCodes } = await enrol(t);
    const upper = recoveryCodes[3]!.toUpperCase();
    const ok = await post(t, '/auth/login/mfa', {
      mfaToken: (await passwordStep(t, s.email)).mfaToken,
      recoveryCode: upper,
    });
    expect(ok.statusCode, ok.body).toBe(200);
    const again = await post(t, '/auth/login/mfa', {
      mfaToken: (await passwordStep(t, s.email)).mfaToken,
      recoveryCode: recoveryCodes[3],
    });
    expectProblem(again, 401, 'invalid-mfa-code');
  });

  it('the same recovery code sent five times at the same moment is accepted only once', async () => {
    const { s, recoveryCodes } = await enrol(t);
    const tokens: string[] = [];
    for (let i = 0; i < 5; i++) tokens.push((await passwordStep(t, s.email)).mfaToken);
    const results = await Promise.all(
      tokens.map((mfaToken) => post(t, '/auth/login/mfa', { mfaToken, recoveryCode: recoveryCodes[1] })),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401, 401, 401, 401]);
    expect(await unusedRecoveryCodes(t, s.userId)).toBe(9);
  });

  it('a wrong TOTP code answers 401 invalid-mfa-code and starts no session', async () => {
    const { s, secret } = await enrol(t);
    const before = await userRow(t, s.userId);
    const { mfaToken } = await passwordStep(t, s.email);
    expectProblem(
      await post(t, '/auth/login/mfa', { mfaToken, code: wrongCode(secret) }),
      401,
      'invalid-mfa-code',
    );
    expect(await userRow(t, s.userId)).toEqual(before);
    const sessions = await t.owner('SELECT id FROM sessions WHERE user_id = $1', [s.userId]);
    expect(sessions.rowCount).toBe(1); // the sign-up login only
  });

  it('a garbage mfaToken answers 401 invalid-token', async () => {
    const res = await post(t, '/auth/login/mfa', { mfaToken: 'not-a-jwt', code: '123456' });
    expectProblem(res, 401, 'invalid-token');
  });

  it('an expired mfaToken answers 401 invalid-token (a fresh one of the same shape is accepted)', async () => {
    const { s, secret } = await enrol(t);
    const claims = { purpose: 'login', org: s.orgId, mode: 'token' };
    const fresh = await t.services.keys.sign(s.userId, claims, { audience: 'bul-mfa', ttlSeconds: 60 });
    const expired = await t.services.keys.sign(s.userId, claims, { audience: 'bul-mfa', ttlSeconds: -60 });
    const code = await freshCode(t, s.userId, secret);
    expectProblem(await post(t, '/auth/login/mfa', { mfaToken: expired, code }), 401, 'invalid-token');
    const ok = await post(t, '/auth/login/mfa', { mfaToken: fresh, code });
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it('an access token sent as mfaToken answers 401 invalid-token', async () => {
    const { s, secret } = await enrol(t);
    const before = await userRow(t, s.userId);
    const res = await post(t, '/auth/login/mfa', {
      mfaToken: s.token,
      code: await freshCode(t, s.userId, secret),
    });
    expectProblem(res, 401, 'invalid-token');
    expect(await userRow(t, s.userId)).toEqual(before);
  });

  it('neither code nor recoveryCode answers 400 naming code', async () => {
    const { s } = await enrol(t);
    const { mfaToken } = await passwordStep(t, s.email);
    const res = await post(t, '/auth/login/mfa', { mfaToken });
    expectFieldError(res, 'code', 'required');
  });

  it('a code of seven digits answers 400 naming code (pattern)', async () => {
    const { s } = await enrol(t);
    const { mfaToken } = await passwordStep(t, s.email);
    expectFieldError(await post(t, '/auth/login/mfa', { mfaToken, code: '1234567' }), 'code', 'pattern');
  });

  it('a recovery code of three characters answers 400 naming recoveryCode (minLength)', async () => {
    const { s } = await enrol(t);
    const { mfaToken } = await passwordStep(t, s.email);
    const res = await post(t, '/auth/login/mfa', { mfaToken, recoveryCode: 'abc' });
    expectFieldError(res, 'recoveryCode', 'minLength');
    expect(await unusedRecoveryCodes(t, s.userId)).toBe(10);
  });
});

describe('lockout of MFA guessing (LOCKOUT_ACCOUNT_THRESHOLD=3)', () => {
  let lt: TestApp;
  beforeAll(async () => {
    lt = await createTestApp({ LOCKOUT_ACCOUNT_THRESHOLD: '3' });
  });
  afterAll(async () => {
    await lt?.close();
  });

  it('two wrong codes do not lock: the right code then logs in', async () => {
    const { s, secret } = await enrol(lt);
    const { mfaToken } = await passwordStep(lt, s.email);
    for (let i = 0; i < 2; i++) {
      expectProblem(
        await post(lt, '/auth/login/mfa', { mfaToken, code: wrongCode(secret) }),
        401,
        'invalid-mfa-code',
      );
    }
    const ok = await post(lt, '/auth/login/mfa', { mfaToken, code: await freshCode(lt, s.userId, secret) });
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it('three wrong codes lock the account: the right code and the password step then answer 429', async () => {
    const { s, secret } = await enrol(lt);
    const { mfaToken } = await passwordStep(lt, s.email);
    for (let i = 0; i < 3; i++) {
      expectProblem(
        await post(lt, '/auth/login/mfa', { mfaToken, code: wrongCode(secret) }),
        401,
        'invalid-mfa-code',
      );
    }
    const before = await userRow(lt, s.userId);
    const locked = await post(lt, '/auth/login/mfa', {
      mfaToken,
      code: await freshCode(lt, s.userId, secret),
    });
    expectProblem(locked, 429, 'account-locked');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect(await userRow(lt, s.userId)).toEqual(before); // the code was not consumed
    const pwd = await post(lt, '/auth/login', { email: s.email, password: STRONG_PASSWORD });
    expectProblem(pwd, 429, 'account-locked');
  });

  it('wrong recovery codes count too', async () => {
    const { s } = await enrol(lt);
    const { mfaToken } = await passwordStep(lt, s.email);
    for (let i = 0; i < 3; i++) {
      const res = await post(lt, '/auth/login/mfa', { mfaToken, recoveryCode: `wrong-code-${i}` });
      expectProblem(res, 401, 'invalid-mfa-code');
    }
    expectProblem(
      await post(lt, '/auth/login/mfa', { mfaToken, recoveryCode: 'wrong-code-x' }),
      429,
      'account-locked',
    );
  });
});

// ---- organizations that require MFA ----------------------------------------------------------------

/** An organization with members added while MFA was optional, then made to require it. */
async function requiringOrg(
  app: TestApp,
  memberCount: number,
): Promise<{ admin: Session; members: Session[] }> {
  const admin = await signUp(app);
  const members: Session[] = [];
  for (let i = 0; i < memberCount; i++) members.push(await addMember(app, admin, 'user'));
  const res = await app.request({
    method: 'PATCH',
    url: '/api/v1/organization',
    headers: admin.headers,
    payload: { requireMfa: true },
  });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json().requireMfa).toBe(true);
  return { admin, members };
}

describe('organization that requires MFA', () => {
  it('turning the requirement on is audited as organization.mfa_policy', async () => {
    const { admin } = await requiringOrg(t, 0);
    const { rows } = await t.owner<{ changes: Record<string, unknown> }>(
      `SELECT changes FROM audit_events WHERE org_id = $1 AND action = 'organization.mfa_policy'`,
      [admin.orgId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.changes).toEqual({ require_mfa: { before: false, after: true } });
  });

  it('a member without MFA enrols during login and gets recovery codes with the tokens', async () => {
    const { members } = await requiringOrg(t, 1);
    const m = members[0]!;
    const step1 = await passwordStep(t, m.email);
    expect(step1.enrollmentRequired).toBe(true);
    expect(step1).not.toHaveProperty('accessToken');

    // The code cannot be sent before there is a secret.
    const early = await post(t, '/auth/login/mfa', { mfaToken: step1.mfaToken, code: '123456' });
    expectFieldError(early, 'code', 'required');

    const setup = await post(t, '/auth/login/mfa/setup', { mfaToken: step1.mfaToken });
    expect(setup.statusCode, setup.body).toBe(200);
    const { secret, otpauthUrl } = setup.json();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(new URL(otpauthUrl).searchParams.get('issuer')).toBe('BUL');
    expect((await userRow(t, m.userId)).mfa_enabled).toBe(false);

    const wrong = await post(t, '/auth/login/mfa', { mfaToken: step1.mfaToken, code: wrongCode(secret) });
    expectProblem(wrong, 401, 'invalid-mfa-code');
    expect((await userRow(t, m.userId)).mfa_enabled).toBe(false);

    const done = await post(t, '/auth/login/mfa', {
      mfaToken: step1.mfaToken,
      code: await freshCode(t, m.userId, secret),
    });
    expect(done.statusCode, done.body).toBe(200);
    const body = done.json();
    expect(body.status).toBe('authenticated');
    expect(body.recoveryCodes).toHaveLength(10);
    expect(body.user.mfaEnabled).toBe(true);
    expect(body.organization.id).toBe(m.orgId);
    const row = await userRow(t, m.userId);
    expect(row.mfa_enabled).toBe(true);
    expect(row.mfa_pending_secret_sealed).toBeNull();
    expect(await unusedRecoveryCodes(t, m.userId)).toBe(10);

    const list = await t.request({
      method: 'GET',
      url: '/api/v1/members',
      headers: { authorization: `Bearer ${body.accessToken}` },
    });
    expect(list.statusCode, list.body).toBe(200);

    // The next login is an ordinary MFA login.
    const next = await passwordStep(t, m.email);
    expect(next.enrollmentRequired).toBe(false);
  });

  it('a login mfaToken (user already enrolled) cannot be used for /auth/login/mfa/setup', async () => {
    const { s } = await enrol(t);
    const { mfaToken } = await passwordStep(t, s.email);
    const before = await userRow(t, s.userId);
    expectProblem(await post(t, '/auth/login/mfa/setup', { mfaToken }), 401, 'invalid-token');
    expect(await userRow(t, s.userId)).toEqual(before);
  });

  it('an enrolment mfaToken issued before the user enrolled cannot replace the enrolled authenticator', async () => {
    const { members } = await requiringOrg(t, 1);
    const m = members[0]!;
    const stale = await passwordStep(t, m.email);
    const current = await passwordStep(t, m.email);
    expect(stale.enrollmentRequired).toBe(true);
    const { secret } = (await post(t, '/auth/login/mfa/setup', { mfaToken: current.mfaToken })).json();
    const done = await post(t, '/auth/login/mfa', {
      mfaToken: current.mfaToken,
      code: await freshCode(t, m.userId, secret),
    });
    expect(done.statusCode, done.body).toBe(200);
    const enrolled = await userRow(t, m.userId);

    // The other enrolment token of the same minutes must not start a second enrolment.
    const again = await post(t, '/auth/login/mfa/setup', { mfaToken: stale.mfaToken });
    expectProblem(again, 401, 'invalid-token');
    expect(await userRow(t, m.userId)).toEqual(enrolled);
  });

  it('a member with a token from before the requirement gets 403 mfa-enrollment-required, but may enrol', async () => {
    const { members } = await requiringOrg(t, 1);
    const m = members[0]!;
    const list = () => t.request({ method: 'GET', url: '/api/v1/members', headers: m.headers });
    expectProblem(await list(), 403, 'mfa-enrollment-required');

    const me = await t.request({ method: 'GET', url: '/api/v1/auth/me', headers: m.headers });
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json().organization.requireMfa).toBe(true);
    expect(me.json().user.mfaEnabled).toBe(false);

    const setup = await post(t, '/auth/mfa/setup', undefined, m.headers);
    expect(setup.statusCode, setup.body).toBe(200);
    expectProblem(await list(), 403, 'mfa-enrollment-required');
    const enable = await post(
      t,
      '/auth/mfa/enable',
      { code: await freshCode(t, m.userId, setup.json().secret) },
      m.headers,
    );
    expect(enable.statusCode, enable.body).toBe(200);
    expect(enable.json().recoveryCodes).toHaveLength(10);
    const after = await list();
    expect(after.statusCode, after.body).toBe(200);
  });

  it('disabling MFA answers 409 while an organization requires it', async () => {
    const { members } = await requiringOrg(t, 1);
    const { s, secret } = await enrol(t, members[0]!);
    const res = await post(
      t,
      '/auth/mfa/disable',
      { password: STRONG_PASSWORD, code: await freshCode(t, s.userId, secret) },
      s.headers,
    );
    expectProblem(res, 409, 'conflict');
    const row = await userRow(t, s.userId);
    expect(row.mfa_enabled).toBe(true);
    expect(row.mfa_secret_sealed).not.toBeNull();
    expect(await unusedRecoveryCodes(t, s.userId)).toBe(10);
  });
});

// ---- disabling and recovery codes ----------------------------------------------------------------

describe('disable MFA', () => {
  it('a wrong password answers 401 invalid-credentials and MFA stays on', async () => {
    const { s, secret } = await enrol(t);
    const before = await userRow(t, s.userId);
    const res = await post(
      t,
      '/auth/mfa/disable',
      { password: 'not-the-password-42', code: await freshCode(t, s.userId, secret) },
      s.headers,
    );
    expectProblem(res, 401, 'invalid-credentials');
    expect(await userRow(t, s.userId)).toEqual(before);
    expect(await unusedRecoveryCodes(t, s.userId)).toBe(10);
  });

  it('a wrong code answers 401 invalid-mfa-code and MFA stays on', async () => {
    const { s, secret } = await enrol(t);
    const before = await userRow(t, s.userId);
    const res = await post(
      t,
      '/auth/mfa/disable',
      { password: STRONG_PASSWORD, code: wrongCode(secret) },
      s.headers,
    );
    expectProblem(res, 401, 'invalid-mfa-code');
    expect(await userRow(t, s.userId)).toEqual(before);
  });

  it('the password without code or recoveryCode answers 400 naming code', async () => {
    const { s } = await enrol(t);
    const res = await post(t, '/auth/mfa/disable', { password: STRONG_PASSWORD }, s.headers);
    expectFieldError(res, 'code', 'required');
    expect((await userRow(t, s.userId)).mfa_enabled).toBe(true);
  });

  it('password and code answer 204, clear the secret and recovery codes, and login needs no code', async () => {
    const { s, secret } = await enrol(t);
    const res = await post(
      t,
      '/auth/mfa/disable',
      { password: STRONG_PASSWORD, code: await freshCode(t, s.userId, secret) },
      s.headers,
    );
    expect(res.statusCode, res.body).toBe(204);
    expect(await userRow(t, s.userId)).toEqual({
      mfa_enabled: false,
      mfa_secret_sealed: null,
      mfa_pending_secret_sealed: null,
      mfa_last_time_step: null,
    });
    expect(await unusedRecoveryCodes(t, s.userId)).toBe(0);
    const again = await login(t, s.email); // throws unless status is authenticated
    expect(again.token).toBeTruthy();
    const setup = await post(t, '/auth/mfa/setup', undefined, again.headers);
    expect(setup.statusCode).toBe(200);
  });

  it('password and a recovery code answer 204 too', async () => {
    const { s, recoveryCodes } = await enrol(t);
    const res = await post(
      t,
      '/auth/mfa/disable',
      { password: STRONG_PASSWORD, recoveryCode: recoveryCodes[9] },
      s.headers,
    );
    expect(res.statusCode, res.body).toBe(204);
    expect((await userRow(t, s.userId)).mfa_enabled).toBe(false);
  });
});

describe('regenerate recovery codes', () => {
  it('a valid code returns 10 new codes; the old ones stop working', async () => {
    const { s, secret, recoveryCodes: old } = await enrol(t);
    const res = await post(
      t,
      '/auth/mfa/recovery-codes',
      { code: await freshCode(t, s.userId, secret) },
      s.headers,
    );
    expect(res.statusCode, res.body).toBe(200);
    const fresh = res.json().recoveryCodes as string[];
    expect(fresh).toHaveLength(10);
    expect(new Set(fresh).size).toBe(10);
    expect(fresh.filter((c) => old.includes(c))).toEqual([]);
    expect(await unusedRecoveryCodes(t, s.userId)).toBe(10);

    const withOld = await post(t, '/auth/login/mfa', {
      mfaToken: (await passwordStep(t, s.email)).mfaToken,
      recoveryCode: old[0],
    });
    expectProblem(withOld, 401, 'invalid-mfa-code');
    const withNew = await post(t, '/auth/login/mfa', {
      mfaToken: (await passwordStep(t, s.email)).mfaToken,
      recoveryCode: fresh[0],
    });
    expect(withNew.statusCode, withNew.body).toBe(200);
    expect(await unusedRecoveryCodes(t, s.userId)).toBe(9);
  });

  it('a wrong code answers 401 invalid-mfa-code and the old codes keep working', async () => {
    const { s, secret, recoveryCodes } = await enrol(t);
    const { rows: before } = await t.owner(
      'SELECT id FROM mfa_recovery_codes WHERE user_id = $1 ORDER BY id',
      [s.userId],
    );
    const res = await post(t, '/auth/mfa/recovery-codes', { code: wrongCode(secret) }, s.headers);
    expectProblem(res, 401, 'invalid-mfa-code');
    const { rows: after } = await t.owner(
      'SELECT id FROM mfa_recovery_codes WHERE user_id = $1 ORDER BY id',
      [s.userId],
    );
    expect(after).toEqual(before);
    const ok = await post(t, '/auth/login/mfa', {
      mfaToken: (await passwordStep(t, s.email)).mfaToken,
      recoveryCode: recoveryCodes[0],
    });
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it('a missing code answers 400 naming code', async () => {
    const { s } = await enrol(t);
    expectFieldError(await post(t, '/auth/mfa/recovery-codes', {}, s.headers), 'code', 'required');
    expect(await unusedRecoveryCodes(t, s.userId)).toBe(10);
  });
});

// ---- audit ---------------------------------------------------------------------------------------

describe('audit of MFA events', () => {
  it('records auth.mfa_enable, auth.mfa (failure) and auth.mfa_disable in the user organization', async () => {
    const { s, secret } = await enrol(t);
    const { mfaToken } = await passwordStep(t, s.email);
    expectProblem(
      await post(t, '/auth/login/mfa', { mfaToken, code: wrongCode(secret) }),
      401,
      'invalid-mfa-code',
    );
    const disable = await post(
      t,
      '/auth/mfa/disable',
      { password: STRONG_PASSWORD, code: await freshCode(t, s.userId, secret) },
      s.headers,
    );
    expect(disable.statusCode, disable.body).toBe(204);

    const { rows } = await t.owner<{
      action: string;
      outcome: string;
      org_id: string;
      resource_id: string;
      metadata: Record<string, unknown> | null;
    }>(
      `SELECT action, outcome, org_id, resource_id, metadata FROM audit_events
        WHERE actor_id = $1 AND action IN ('auth.mfa_enable', 'auth.mfa', 'auth.mfa_disable')
        ORDER BY created_at, id`,
      [s.userId],
    );
    expect(rows.map((r) => [r.action, r.outcome])).toEqual([
      ['auth.mfa_enable', 'success'],
      ['auth.mfa', 'failure'],
      ['auth.mfa_disable', 'success'],
    ]);
    for (const r of rows) {
      expect(r.org_id).toBe(s.orgId);
      expect(r.resource_id).toBe(s.userId);
    }
    expect(rows[1]!.metadata).toMatchObject({ reason: 'wrong_code' });
  });

  it('a successful MFA login is recorded as auth.login with method pwd+otp', async () => {
    const { s, secret } = await enrol(t);
    const { mfaToken } = await passwordStep(t, s.email);
    const res = await post(t, '/auth/login/mfa', { mfaToken, code: await freshCode(t, s.userId, secret) });
    expect(res.statusCode, res.body).toBe(200);
    const { rows } = await t.owner<{ metadata: Record<string, unknown> }>(
      `SELECT metadata FROM audit_events WHERE action = 'auth.login' AND resource_id = $1`,
      [res.json().sessionId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.metadata).toMatchObject({ method: 'pwd+otp' });
  });
});
