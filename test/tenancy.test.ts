// Tenancy: memberships across organizations, invitations, plans and quotas, the monthly request
// quota, departments, members, the organization profile, suspension and IP rules (organization
// and global). Issue requirements T1, T2, T4 and S6.
import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRONG_PASSWORD } from './support/constants.ts';
import {
  addMember,
  createTestApp,
  login,
  type Session,
  signUp,
  type TestApp,
  uniqueEmail,
  uniqueSubdomain,
} from './support/test-app.ts';

// ---- helpers ---------------------------------------------------------------------------------

/** Asserts a problem+json answer with the given status and catalogue code; returns its body. */
function expectProblem(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  const body = res.json();
  expect(body.type).toBe(`urn:bul:error:${code}`);
  expect(body.status).toBe(status);
  return body;
}

/** Asserts a 400 validation-failed answer that names `field`. */
function expectFieldError(res: LightMyRequestResponse, field: string) {
  const body = expectProblem(res, 400, 'validation-failed');
  const fields = (body.errors as { field: string; rule: string }[]).map((e) => e.field);
  expect(fields).toContain(field);
  const err = (body.errors as { field: string; rule: string }[]).find((e) => e.field === field)!;
  expect(err.rule).toBeTruthy();
  return body;
}

async function roleId(t: TestApp, s: Session, key: string): Promise<string> {
  const res = await t.request({ method: 'GET', url: '/api/v1/roles', headers: s.headers });
  expect(res.statusCode).toBe(200);
  const role = (res.json().items as { id: string; key: string | null }[]).find((r) => r.key === key);
  if (!role) throw new Error(`no role ${key}`);
  return role.id;
}

function invite(t: TestApp, s: Session, email: string, role: string, extra: Record<string, unknown> = {}) {
  return t.request({
    method: 'POST',
    url: '/api/v1/invitations',
    headers: s.headers,
    payload: { email, roleId: role, ...extra },
  });
}

function accept(t: TestApp, payload: Record<string, unknown>, remoteAddress?: string) {
  return t.request({
    method: 'POST',
    url: '/api/v1/invitations/accept',
    payload,
    ...(remoteAddress ? { remoteAddress } : {}),
  });
}

async function me(t: TestApp, headers: Record<string, string>, extra: Record<string, unknown> = {}) {
  return t.request({ method: 'GET', url: '/api/v1/auth/me', headers, ...extra });
}

async function makeSuperAdmin(t: TestApp): Promise<Session> {
  const s = await signUp(t, { orgName: 'Platform Ops' });
  await t.owner('UPDATE users SET is_super_admin = true WHERE id = $1', [s.userId]);
  return login(t, s.email);
}

async function memberOf(t: TestApp, orgId: string, userId: string) {
  const { rows } = await t.owner<{ id: string; role_key: string; department_id: string | null }>(
    `SELECT m.id, r.key AS role_key, m.department_id FROM memberships m
     JOIN roles r ON r.org_id = m.org_id AND r.id = m.role_id WHERE m.org_id = $1 AND m.user_id = $2`,
    [orgId, userId],
  );
  return rows[0] ?? null;
}

function firstOfMonthUtc(): string {
  const now = new Date();
  return `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}-01`;
}

// The main app of this file. Its usage meter's periodic flush is stopped so that request counts
// move to the database only when a test calls flush(); counting itself is unchanged.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  await t.services.meter.stop();
});
afterAll(async () => {
  await t?.close();
});

// ---- memberships (T1) ------------------------------------------------------------------------

describe('memberships in several organizations', () => {
  let alice: Session;
  let orgB: Session;
  let orgCId: string;

  beforeAll(async () => {
    alice = await signUp(t, { orgName: 'Alice Org' });
    orgB = await signUp(t, { orgName: 'Bob Org' });
    // Bob's admin invites Alice (an existing account) as analyst; she proves herself with her password.
    const inv = await invite(t, orgB, alice.email, await roleId(t, orgB, 'analyst'));
    expect(inv.statusCode).toBe(201);
    const acc = await accept(t, { token: inv.json().token, password: STRONG_PASSWORD });
    expect(acc.statusCode).toBe(201);
    expect(acc.json()).toMatchObject({ organizationId: orgB.orgId, userId: alice.userId, newAccount: false });
    // And she founds a third organization herself.
    const created = await t.request({
      method: 'POST',
      url: '/api/v1/organizations',
      headers: alice.headers,
      payload: { name: 'Alice Labs', subdomain: uniqueSubdomain('labs') },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().planId).toBe('free');
    orgCId = created.json().id;
  });

  it('GET /organizations lists every organization of the user with her role in each', async () => {
    const res = await t.request({ method: 'GET', url: '/api/v1/organizations', headers: alice.headers });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as { id: string; role: { key: string }; membership: { status: string } }[];
    const byId = new Map(items.map((i) => [i.id, i]));
    expect(items).toHaveLength(3);
    expect(byId.get(alice.orgId)?.role.key).toBe('org_admin');
    expect(byId.get(orgB.orgId)?.role.key).toBe('analyst');
    expect(byId.get(orgCId)?.role.key).toBe('org_admin');
    expect(byId.get(orgB.orgId)?.membership.status).toBe('active');
  });

  it('X-Organization-ID chooses the organization, and so the role, per request', async () => {
    const inB = await me(t, { ...alice.headers, 'x-organization-id': orgB.orgId });
    expect(inB.statusCode).toBe(200);
    expect(inB.json().organization.id).toBe(orgB.orgId);
    expect(inB.json().role.key).toBe('analyst');
    const inA = await me(t, alice.headers);
    expect(inA.json().organization.id).toBe(alice.orgId);
    expect(inA.json().role.key).toBe('org_admin');

    // The analyst role in B lacks departments:manage; the admin role in A has it.
    const denied = await t.request({
      method: 'POST',
      url: '/api/v1/departments',
      headers: { ...alice.headers, 'x-organization-id': orgB.orgId },
      payload: { name: 'Not allowed' },
    });
    const body = expectProblem(denied, 403, 'forbidden');
    expect(body.permission).toBe('departments:manage');
    const allowed = await t.request({
      method: 'POST',
      url: '/api/v1/departments',
      headers: alice.headers,
      payload: { name: 'Allowed' },
    });
    expect(allowed.statusCode).toBe(201);
    const { rows } = await t.owner('SELECT org_id FROM departments WHERE id = $1', [allowed.json().id]);
    expect(rows[0]?.org_id).toBe(alice.orgId);
    const inBDepts = await t.owner('SELECT count(*)::int AS n FROM departments WHERE org_id = $1', [
      orgB.orgId,
    ]);
    expect(inBDepts.rows[0]?.n).toBe(0);

    // An organization she does not belong to: 403; one that does not exist: 404.
    const foreign = await signUp(t);
    expectProblem(await me(t, { ...alice.headers, 'x-organization-id': foreign.orgId }), 403, 'forbidden');
    expectProblem(
      await me(t, { ...alice.headers, 'x-organization-id': '01900000-0000-7000-8000-000000000000' }),
      404,
      'not-found',
    );
  });

  it('a malformed X-Organization-ID ("not-a-uuid") answers 400 naming x-organization-id', async () => {
    const res = await me(t, { ...alice.headers, 'x-organization-id': 'not-a-uuid' });
    expectFieldError(res, 'x-organization-id');
  });
});

describe('organization chosen by subdomain (BASE_DOMAIN)', () => {
  let sub: TestApp;
  beforeAll(async () => {
    sub = await createTestApp({ BASE_DOMAIN: 'bul.test' });
  });
  afterAll(async () => {
    await sub?.close();
  });

  it('a request to <subdomain>.bul.test acts for that organization; an unknown subdomain is 404', async () => {
    const subA = uniqueSubdomain('sa');
    const subB = uniqueSubdomain('sb');
    const user = await signUp(sub, { subdomain: subA });
    const other = await sub.request({
      method: 'POST',
      url: '/api/v1/organizations',
      headers: user.headers,
      payload: { name: 'Second', subdomain: subB },
    });
    expect(other.statusCode).toBe(201);
    const orgBId = other.json().id;

    const viaB = await me(sub, user.headers, { headers: { ...user.headers, host: `${subB}.bul.test` } });
    expect(viaB.statusCode).toBe(200);
    expect(viaB.json().organization.id).toBe(orgBId);
    const viaA = await me(sub, user.headers, { headers: { ...user.headers, host: `${subA}.bul.test` } });
    expect(viaA.json().organization.id).toBe(user.orgId);
    const org = await sub.request({
      method: 'GET',
      url: '/api/v1/organization',
      headers: { ...user.headers, host: `${subB}.bul.test` },
    });
    expect(org.statusCode).toBe(200);
    expect(org.json().subdomain).toBe(subB);

    const unknown = await sub.request({
      method: 'GET',
      url: '/api/v1/organization',
      headers: { ...user.headers, host: `${uniqueSubdomain('nobody')}.bul.test` },
    });
    expectProblem(unknown, 404, 'not-found');
  });
});

// ---- invitations (T1) ------------------------------------------------------------------------

describe('invitations', () => {
  it('creates an invitation with a token shown once (not in the list, only its hash stored)', async () => {
    const admin = await signUp(t);
    const email = uniqueEmail('inv');
    const res = await invite(t, admin, email, await roleId(t, admin, 'developer'));
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(typeof created.token).toBe('string');
    expect(created.token.length).toBeGreaterThanOrEqual(20);
    expect(created.status).toBe('open');
    expect(created.email).toBe(email);

    const list = await t.request({ method: 'GET', url: '/api/v1/invitations', headers: admin.headers });
    expect(list.statusCode).toBe(200);
    const items = list.json().items as Record<string, unknown>[];
    expect(items).toHaveLength(1);
    expect(items[0]?.id).toBe(created.id);
    expect(items[0]).not.toHaveProperty('token');
    expect(list.body).not.toContain(created.token);
    const { rows } = await t.owner<{ token_hash: string }>(
      'SELECT token_hash FROM invitations WHERE id = $1',
      [created.id],
    );
    expect(rows[0]?.token_hash).not.toBe(created.token);
    expect(rows[0]?.token_hash).not.toContain(created.token);
  });

  it('accepting as a new user (name + password) creates the account and membership; a second accept is 401 invalid-token', async () => {
    const admin = await signUp(t);
    const email = uniqueEmail('newbie');
    const inv = (await invite(t, admin, email, await roleId(t, admin, 'manager'))).json();
    const res = await accept(t, { token: inv.token, name: 'New Person', password: STRONG_PASSWORD });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ organizationId: admin.orgId, newAccount: true });
    expect((await memberOf(t, admin.orgId, body.userId))?.role_key).toBe('manager');
    const s = await login(t, email);
    expect((await me(t, s.headers)).json().role.key).toBe('manager');

    const again = await accept(t, { token: inv.token, name: 'New Person', password: STRONG_PASSWORD });
    expectProblem(again, 401, 'invalid-token');
    const list = await t.request({ method: 'GET', url: '/api/v1/invitations', headers: admin.headers });
    expect(list.json().items[0].status).toBe('accepted');
  });

  it('accepting for an existing account needs its password: a wrong one is 401 and adds no membership', async () => {
    const admin = await signUp(t);
    const existing = await signUp(t);
    const inv = (await invite(t, admin, existing.email, await roleId(t, admin, 'user'))).json();

    const wrong = await accept(t, { token: inv.token, password: 'not-the-right-password-42' });
    expectProblem(wrong, 401, 'invalid-credentials');
    expect(await memberOf(t, admin.orgId, existing.userId)).toBeNull();

    const right = await accept(t, { token: inv.token, password: STRONG_PASSWORD });
    expect(right.statusCode).toBe(201);
    expect(right.json()).toMatchObject({ userId: existing.userId, newAccount: false });
    expect((await memberOf(t, admin.orgId, existing.userId))?.role_key).toBe('user');
  });

  it('a revoked invitation cannot be accepted (401 invalid-token)', async () => {
    const admin = await signUp(t);
    const email = uniqueEmail('revoked');
    const inv = (await invite(t, admin, email, await roleId(t, admin, 'user'))).json();
    const del = await t.request({
      method: 'DELETE',
      url: `/api/v1/invitations/${inv.id}`,
      headers: admin.headers,
    });
    expect(del.statusCode).toBe(204);
    const res = await accept(t, { token: inv.token, name: 'Too Late', password: STRONG_PASSWORD });
    expectProblem(res, 401, 'invalid-token');
    const { rows } = await t.owner('SELECT count(*)::int AS n FROM users WHERE lower(email) = lower($1)', [
      email,
    ]);
    expect(rows[0]?.n).toBe(0);
    const list = await t.request({ method: 'GET', url: '/api/v1/invitations', headers: admin.headers });
    expect(list.json().items[0].status).toBe('revoked');
  });

  it('inviting an existing member is 409, and a second open invitation to the same e-mail is 409', async () => {
    const admin = await signUp(t);
    const user = await roleId(t, admin, 'user');
    const member = await addMember(t, admin, 'user');
    expectProblem(await invite(t, admin, member.email, user), 409, 'conflict');
    expectProblem(await invite(t, admin, admin.email.toUpperCase(), user), 409, 'conflict');

    const email = uniqueEmail('dup');
    expect((await invite(t, admin, email, user)).statusCode).toBe(201);
    expectProblem(await invite(t, admin, email, user), 409, 'conflict');
    const { rows } = await t.owner(
      'SELECT count(*)::int AS n FROM invitations WHERE org_id = $1 AND lower(email) = lower($2)',
      [admin.orgId, email],
    );
    expect(rows[0]?.n).toBe(1);
  });

  it('a manager cannot invite someone as org_admin (403: the role carries permissions the manager lacks)', async () => {
    const admin = await signUp(t);
    const manager = await addMember(t, admin, 'manager');
    const email = uniqueEmail('escalate');
    const res = await invite(t, manager, email, await roleId(t, admin, 'org_admin'));
    expectProblem(res, 403, 'forbidden');
    const { rows } = await t.owner(
      'SELECT count(*)::int AS n FROM invitations WHERE lower(email) = lower($1)',
      [email],
    );
    expect(rows[0]?.n).toBe(0);
    // The same manager may invite with a role inside their own permissions.
    expect((await invite(t, manager, email, await roleId(t, admin, 'user'))).statusCode).toBe(201);
  });

  describe('expiry (INVITATION_TTL=1h)', () => {
    let ttl: TestApp;
    beforeAll(async () => {
      ttl = await createTestApp({ INVITATION_TTL: '1h' });
    });
    afterAll(async () => {
      await ttl?.close();
    });

    it('an invitation lives INVITATION_TTL; once expired, accepting is 401 and the list shows expired', async () => {
      const admin = await signUp(ttl);
      const email = uniqueEmail('expired');
      const inv = (await invite(ttl, admin, email, await roleId(ttl, admin, 'user'))).json();
      const lifetime = (Date.parse(inv.expiresAt) - Date.parse(inv.createdAt)) / 1000;
      expect(lifetime).toBeGreaterThan(3600 - 60);
      expect(lifetime).toBeLessThan(3600 + 60);

      await ttl.owner("UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE id = $1", [
        inv.id,
      ]);
      const res = await accept(ttl, { token: inv.token, name: 'Late Comer', password: STRONG_PASSWORD });
      expectProblem(res, 401, 'invalid-token');
      const { rows } = await ttl.owner(
        'SELECT count(*)::int AS n FROM users WHERE lower(email) = lower($1)',
        [email],
      );
      expect(rows[0]?.n).toBe(0);

      const list = await ttl.request({ method: 'GET', url: '/api/v1/invitations', headers: admin.headers });
      expect(list.statusCode).toBe(200);
      expect(list.json().items.find((i: { id: string }) => i.id === inv.id).status).toBe('expired');
      const filtered = await ttl.request({
        method: 'GET',
        url: '/api/v1/invitations?status=expired',
        headers: admin.headers,
      });
      expect(filtered.json().items.map((i: { id: string }) => i.id)).toEqual([inv.id]);
    });
  });
});

// ---- plans and quotas (T4) -------------------------------------------------------------------

describe('plans and quotas', () => {
  it('GET /plans lists the plans with their limits', async () => {
    const s = await signUp(t);
    const res = await t.request({ method: 'GET', url: '/api/v1/plans', headers: s.headers });
    expect(res.statusCode).toBe(200);
    const byId = new Map((res.json().items as { id: string }[]).map((p) => [p.id, p]));
    expect(byId.get('free')).toMatchObject({ maxUsers: 5, maxApiRequestsPerMonth: 100000, priceMinor: 0 });
    expect(byId.get('team')).toMatchObject({ maxUsers: 25, maxApiRequestsPerMonth: 1000000 });
    expect(byId.get('enterprise')).toMatchObject({ maxUsers: null, maxApiRequestsPerMonth: null });
  });

  it('GET /organization/usage reports members, open invitations and API requests (stored + not yet flushed)', async () => {
    const s = await signUp(t);
    const user = await roleId(t, s, 'user'); // request 1
    expect((await invite(t, s, uniqueEmail(), user)).statusCode).toBe(201); // request 2
    const first = await t.request({ method: 'GET', url: '/api/v1/organization/usage', headers: s.headers }); // 3
    expect(first.statusCode).toBe(200);
    expect(first.json().plan.id).toBe('free');
    expect(first.json().period).toBe(firstOfMonthUtc());
    expect(first.json().usage).toMatchObject({ members: 1, openInvitations: 1, apiRequestsThisMonth: 3 });

    await t.services.meter.flush();
    const stored = await t.owner<{ value: string }>(
      "SELECT value FROM usage_counters WHERE org_id = $1 AND metric = 'api_requests'",
      [s.orgId],
    );
    expect(Number(stored.rows[0]?.value)).toBe(3);
    const second = await t.request({ method: 'GET', url: '/api/v1/organization/usage', headers: s.headers }); // 4
    expect(second.json().usage.apiRequestsThisMonth).toBe(4);
  });

  it('the free plan allows 5 users: members + open invitations at 5 refuse the next invitation; upgrading lifts it; downgrading below the member count is refused', async () => {
    const admin = await signUp(t);
    const user = await roleId(t, admin, 'user');
    const tokens: { email: string; token: string }[] = [];
    for (let i = 0; i < 4; i++) {
      const email = uniqueEmail('seat');
      const res = await invite(t, admin, email, user);
      expect(res.statusCode).toBe(201);
      tokens.push({ email, token: res.json().token });
    }
    const usage = await t.request({
      method: 'GET',
      url: '/api/v1/organization/usage',
      headers: admin.headers,
    });
    expect(usage.json().usage).toMatchObject({ members: 1, openInvitations: 4 });

    const sixth = uniqueEmail('seat');
    const over = await invite(t, admin, sixth, user);
    const body = expectProblem(over, 403, 'quota-exceeded');
    expect(body.limit).toEqual({ name: 'max_users', value: 5 });
    expect(body.usage).toBe(5);
    const none = await t.owner('SELECT count(*)::int AS n FROM invitations WHERE lower(email) = lower($1)', [
      sixth,
    ]);
    expect(none.rows[0]?.n).toBe(0);

    const up = await t.request({
      method: 'PUT',
      url: '/api/v1/organization/plan',
      headers: admin.headers,
      payload: { planId: 'team' },
    });
    expect(up.statusCode).toBe(200);
    expect(up.json().planId).toBe('team');
    const again = await invite(t, admin, sixth, user);
    expect(again.statusCode).toBe(201);
    tokens.push({ email: sixth, token: again.json().token });

    for (const { token } of tokens) {
      const res = await accept(t, { token, name: 'Seat Holder', password: STRONG_PASSWORD });
      expect(res.statusCode).toBe(201);
    }
    const down = await t.request({
      method: 'PUT',
      url: '/api/v1/organization/plan',
      headers: admin.headers,
      payload: { planId: 'free' },
    });
    const downBody = expectProblem(down, 403, 'quota-exceeded');
    expect(downBody.limit).toEqual({ name: 'max_users', value: 5 });
    expect(downBody.usage).toBe(6);
    const { rows } = await t.owner('SELECT plan_id FROM organizations WHERE id = $1', [admin.orgId]);
    expect(rows[0]?.plan_id).toBe('team');
  });

  it('changing to an unknown plan ("platinum") answers 400 naming planId and changes nothing', async () => {
    const admin = await signUp(t);
    const res = await t.request({
      method: 'PUT',
      url: '/api/v1/organization/plan',
      headers: admin.headers,
      payload: { planId: 'platinum' },
    });
    expectFieldError(res, 'planId');
    const { rows } = await t.owner('SELECT plan_id, version FROM organizations WHERE id = $1', [admin.orgId]);
    expect(rows[0]).toEqual({ plan_id: 'free', version: 1 });
  });

  it('after the monthly API request quota, requests get 429 request-quota-exceeded with Retry-After; counters are stored', async () => {
    await t.owner(
      `INSERT INTO plans (id, name, max_users, max_api_requests_per_month, sort_order)
       VALUES ('tiny', 'Tiny', 5, 5, 9) ON CONFLICT (id) DO NOTHING`,
    );
    const s = await signUp(t);
    const bystander = await signUp(t);
    await t.owner("UPDATE organizations SET plan_id = 'tiny' WHERE id = $1", [s.orgId]);

    const get = () => t.request({ method: 'GET', url: '/api/v1/organization', headers: s.headers });
    for (let i = 0; i < 3; i++) expect((await get()).statusCode).toBe(200);
    await t.services.meter.flush(); // 3 stored, then 2 counted in memory
    for (let i = 0; i < 2; i++) expect((await get()).statusCode).toBe(200);

    const over = await get();
    const body = expectProblem(over, 429, 'request-quota-exceeded');
    expect(body.limit).toEqual({ name: 'max_api_requests_per_month', value: 5 });
    expect(body.usage).toBe(5);
    const retryAfter = Number(over.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(31 * 86400);

    // Refused requests are not counted; the counter is stored for this month.
    await t.services.meter.flush();
    const { rows } = await t.owner<{ period: string; value: string }>(
      "SELECT period::text AS period, value FROM usage_counters WHERE org_id = $1 AND metric = 'api_requests'",
      [s.orgId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.period).toBe(firstOfMonthUtc());
    expect(Number(rows[0]?.value)).toBe(5);
    expectProblem(await get(), 429, 'request-quota-exceeded');

    // Another organization is not affected.
    const other = await t.request({ method: 'GET', url: '/api/v1/organization', headers: bystander.headers });
    expect(other.statusCode).toBe(200);
  });
});

// ---- departments (T2) ------------------------------------------------------------------------

describe('departments', () => {
  let admin: Session;
  let root: { id: string; version: number };
  let child: { id: string };
  let grandchild: { id: string };
  let other: { id: string };

  const create = (payload: Record<string, unknown>) =>
    t.request({ method: 'POST', url: '/api/v1/departments', headers: admin.headers, payload });
  const patch = (id: string, payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
    t.request({
      method: 'PATCH',
      url: `/api/v1/departments/${id}`,
      headers: { ...admin.headers, ...headers },
      payload,
    });
  const snapshot = async () =>
    (
      await t.owner('SELECT id, parent_id, name, version FROM departments WHERE org_id = $1 ORDER BY id', [
        admin.orgId,
      ])
    ).rows;

  beforeAll(async () => {
    admin = await signUp(t);
    const r = await create({ name: 'Alpha' });
    expect(r.statusCode).toBe(201);
    root = r.json();
    const c = await create({ name: 'Beta', parentId: root.id });
    expect(c.statusCode).toBe(201);
    child = c.json();
    const g = await create({ name: 'Gamma', parentId: child.id });
    expect(g.statusCode).toBe(201);
    grandchild = g.json();
    const o = await create({ name: 'Zulu' });
    expect(o.statusCode).toBe(201);
    other = o.json();
  });

  it('GET /departments returns the tree depth-first with depth and ancestor path', async () => {
    const res = await t.request({ method: 'GET', url: '/api/v1/departments', headers: admin.headers });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as { id: string; name: string; depth: number; path: string[] }[];
    expect(items.map((d) => d.name)).toEqual(['Alpha', 'Beta', 'Gamma', 'Zulu']);
    expect(items.map((d) => d.depth)).toEqual([0, 1, 2, 0]);
    expect(items[0]?.path).toEqual([]);
    expect(items[1]?.path).toEqual([root.id]);
    expect(items[2]?.path).toEqual([root.id, child.id]);
    expect(items[3]?.path).toEqual([]);
  });

  it('moving a department under its own descendant is 409 and changes nothing', async () => {
    const before = await snapshot();
    expectProblem(await patch(root.id, { parentId: grandchild.id }), 409, 'conflict');
    expectProblem(await patch(root.id, { parentId: root.id }), 409, 'conflict');
    expect(await snapshot()).toEqual(before);
  });

  it('an unknown parentId answers 400 naming parentId (create and move), storing nothing', async () => {
    const before = await snapshot();
    const ghost = '01900000-0000-7000-8000-0000000000aa';
    expectFieldError(await create({ name: 'Orphan', parentId: ghost }), 'parentId');
    expectFieldError(await patch(child.id, { parentId: ghost }), 'parentId');
    expect(await snapshot()).toEqual(before);
  });

  it('a sibling with the same name (any case) is 409; the same name elsewhere in the tree is fine', async () => {
    expectProblem(await create({ name: 'beta', parentId: root.id }), 409, 'conflict');
    expectProblem(await create({ name: 'ZULU' }), 409, 'conflict');
    expectProblem(await patch(other.id, { name: 'alpha' }), 409, 'conflict');
    const cousin = await create({ name: 'Beta', parentId: other.id });
    expect(cousin.statusCode).toBe(201);
    expect((await snapshot()).filter((d) => d.name.toLowerCase() === 'zulu')).toHaveLength(1);
  });

  it('If-Match with a stale version is 412 and changes nothing; the current version succeeds and increments it', async () => {
    const current = (
      await t.request({ method: 'GET', url: `/api/v1/departments/${root.id}`, headers: admin.headers })
    ).json();
    const stale = await patch(root.id, { name: 'Alpha Renamed' }, { 'if-match': `"${current.version + 1}"` });
    const body = expectProblem(stale, 412, 'precondition-failed');
    expect(body.currentVersion).toBe(current.version);
    const row = (await t.owner('SELECT name, version FROM departments WHERE id = $1', [root.id])).rows[0];
    expect(row).toEqual({ name: 'Alpha', version: current.version });

    const ok = await patch(root.id, { name: 'Alpha Prime' }, { 'if-match': `"${current.version}"` });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().name).toBe('Alpha Prime');
    expect(ok.json().version).toBe(current.version + 1);
  });

  it('deleting a department with sub-departments is 409; deleting a leaf is 204 and its members lose the department', async () => {
    expectProblem(
      await t.request({ method: 'DELETE', url: `/api/v1/departments/${child.id}`, headers: admin.headers }),
      409,
      'conflict',
    );
    expect((await t.owner('SELECT 1 FROM departments WHERE id = $1', [child.id])).rowCount).toBe(1);

    const member = await addMember(t, admin, 'user');
    const m = await memberOf(t, admin.orgId, member.userId);
    const assign = await t.request({
      method: 'PATCH',
      url: `/api/v1/members/${m!.id}`,
      headers: admin.headers,
      payload: { departmentId: grandchild.id },
    });
    expect(assign.statusCode).toBe(200);
    expect(assign.json().departmentId).toBe(grandchild.id);

    const del = await t.request({
      method: 'DELETE',
      url: `/api/v1/departments/${grandchild.id}`,
      headers: admin.headers,
    });
    expect(del.statusCode).toBe(204);
    expect((await t.owner('SELECT 1 FROM departments WHERE id = $1', [grandchild.id])).rowCount).toBe(0);
    const after = await t.request({ method: 'GET', url: `/api/v1/members/${m!.id}`, headers: admin.headers });
    expect(after.statusCode).toBe(200);
    expect(after.json().departmentId).toBeNull();
  });
});

// ---- members (T1) ----------------------------------------------------------------------------

describe('members', () => {
  it('?user_id= lists only the members who are those users (one or several; what names assignees)', async () => {
    const admin = await signUp(t);
    const a = await addMember(t, admin, 'user');
    const b = await addMember(t, admin, 'user');
    await addMember(t, admin, 'user');
    const list = async (qs: string) => {
      const res = await t.request({ method: 'GET', url: `/api/v1/members?${qs}`, headers: admin.headers });
      expect(res.statusCode, res.body).toBe(200);
      return (res.json().items as { userId: string }[]).map((m) => m.userId).sort();
    };
    expect(await list(`user_id=${a.userId}`)).toEqual([a.userId]);
    expect(await list(`user_id=${a.userId}&user_id=${b.userId}`)).toEqual([a.userId, b.userId].sort());
    expect(await list('limit=200')).toHaveLength(4);
    const bad = await t.request({
      method: 'GET',
      url: '/api/v1/members?user_id=nope',
      headers: admin.headers,
    });
    expectFieldError(bad, 'user_id[0]');
  });

  it('changing a role is audited as member.role_change with before and after', async () => {
    const admin = await signUp(t);
    const member = await addMember(t, admin, 'user');
    const m = (await memberOf(t, admin.orgId, member.userId))!;
    const res = await t.request({
      method: 'PATCH',
      url: `/api/v1/members/${m.id}`,
      headers: admin.headers,
      payload: { roleId: await roleId(t, admin, 'manager') },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().role.key).toBe('manager');
    const { rows } = await t.owner<{ changes: Record<string, unknown>; actor_id: string }>(
      "SELECT changes, actor_id FROM audit_events WHERE org_id = $1 AND action = 'member.role_change' AND resource_id = $2",
      [admin.orgId, m.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.actor_id).toBe(admin.userId);
    expect(rows[0]?.changes).toEqual({ role: { before: 'User', after: 'Manager' } });
  });

  it('demoting, suspending or removing the last active org_admin is 409 and changes nothing', async () => {
    const admin = await signUp(t);
    const me0 = (await memberOf(t, admin.orgId, admin.userId))!;
    const demote = await t.request({
      method: 'PATCH',
      url: `/api/v1/members/${me0.id}`,
      headers: admin.headers,
      payload: { roleId: await roleId(t, admin, 'manager') },
    });
    expectProblem(demote, 409, 'conflict');
    const suspend = await t.request({
      method: 'PATCH',
      url: `/api/v1/members/${me0.id}`,
      headers: admin.headers,
      payload: { status: 'suspended' },
    });
    expectProblem(suspend, 409, 'conflict');
    const remove = await t.request({
      method: 'DELETE',
      url: `/api/v1/members/${me0.id}`,
      headers: admin.headers,
    });
    expectProblem(remove, 409, 'conflict');
    const { rows } = await t.owner<{ role_key: string; status: string }>(
      `SELECT r.key AS role_key, m.status FROM memberships m JOIN roles r ON r.org_id = m.org_id AND r.id = m.role_id
       WHERE m.id = $1`,
      [me0.id],
    );
    expect(rows[0]).toEqual({ role_key: 'org_admin', status: 'active' });

    // With a second admin, the first may step down.
    await addMember(t, admin, 'org_admin');
    const ok = await t.request({
      method: 'PATCH',
      url: `/api/v1/members/${me0.id}`,
      headers: admin.headers,
      payload: { roleId: await roleId(t, admin, 'manager') },
    });
    expect(ok.statusCode).toBe(200);
  });

  it('a manager (members:update) cannot promote someone to org_admin (403)', async () => {
    const admin = await signUp(t);
    const manager = await addMember(t, admin, 'manager');
    const member = await addMember(t, admin, 'user');
    const m = (await memberOf(t, admin.orgId, member.userId))!;
    const res = await t.request({
      method: 'PATCH',
      url: `/api/v1/members/${m.id}`,
      headers: manager.headers,
      payload: { roleId: await roleId(t, admin, 'org_admin') },
    });
    expectProblem(res, 403, 'forbidden');
    expect((await memberOf(t, admin.orgId, member.userId))?.role_key).toBe('user');
  });

  it('removing a member answers 204 and their token then gets 403 for that organization', async () => {
    const admin = await signUp(t);
    const member = await addMember(t, admin, 'user');
    expect(
      (await t.request({ method: 'GET', url: '/api/v1/organization', headers: member.headers })).statusCode,
    ).toBe(200);
    const m = (await memberOf(t, admin.orgId, member.userId))!;
    const del = await t.request({ method: 'DELETE', url: `/api/v1/members/${m.id}`, headers: admin.headers });
    expect(del.statusCode).toBe(204);
    expect(await memberOf(t, admin.orgId, member.userId)).toBeNull();
    const after = await t.request({ method: 'GET', url: '/api/v1/organization', headers: member.headers });
    expectProblem(after, 403, 'forbidden');
    const explicit = await t.request({
      method: 'GET',
      url: '/api/v1/organization',
      headers: { ...member.headers, 'x-organization-id': admin.orgId },
    });
    expectProblem(explicit, 403, 'forbidden');
  });
});

// ---- organization profile --------------------------------------------------------------------

describe('organization profile', () => {
  it('GET /organization carries an ETag equal to the quoted version', async () => {
    const admin = await signUp(t, { orgName: 'Etag Org' });
    const res = await t.request({ method: 'GET', url: '/api/v1/organization', headers: admin.headers });
    expect(res.statusCode).toBe(200);
    expect(res.json().name).toBe('Etag Org');
    expect(res.headers.etag).toBe(`"${res.json().version}"`);
  });

  it("a time zone 'Mars/Olympus' answers 400 naming timezone and changes nothing; 'America/Sao_Paulo' is accepted", async () => {
    const admin = await signUp(t);
    const before = (
      await t.request({ method: 'GET', url: '/api/v1/organization', headers: admin.headers })
    ).json();
    const bad = await t.request({
      method: 'PATCH',
      url: '/api/v1/organization',
      headers: admin.headers,
      payload: { name: 'Renamed', timezone: 'Mars/Olympus' },
    });
    expectFieldError(bad, 'timezone');
    const { rows } = await t.owner('SELECT name, timezone, version FROM organizations WHERE id = $1', [
      admin.orgId,
    ]);
    expect(rows[0]).toEqual({ name: before.name, timezone: 'UTC', version: before.version });

    const ok = await t.request({
      method: 'PATCH',
      url: '/api/v1/organization',
      headers: admin.headers,
      payload: { name: 'Renamed', timezone: 'America/Sao_Paulo' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({
      name: 'Renamed',
      timezone: 'America/Sao_Paulo',
      version: before.version + 1,
    });
    const again = await t.request({ method: 'GET', url: '/api/v1/organization', headers: admin.headers });
    expect(again.headers.etag).toBe(`"${before.version + 1}"`);
  });
});

// ---- platform administration: suspension ------------------------------------------------------

describe('platform administration', () => {
  let root: Session;
  beforeAll(async () => {
    root = await makeSuperAdmin(t);
  });

  it('GET /admin/organizations lists every organization for a super admin and is 403 for an org_admin', async () => {
    const admin = await signUp(t);
    const res = await t.request({ method: 'GET', url: '/api/v1/admin/organizations', headers: root.headers });
    expect(res.statusCode).toBe(200);
    const ids = (res.json().items as { id: string }[]).map((o) => o.id);
    const { rows } = await t.owner<{ id: string }>('SELECT id FROM organizations');
    expect(new Set(ids)).toEqual(new Set(rows.map((r) => r.id)));
    expect(ids).toContain(admin.orgId);

    const denied = await t.request({
      method: 'GET',
      url: '/api/v1/admin/organizations',
      headers: admin.headers,
    });
    expect(expectProblem(denied, 403, 'forbidden').permission).toBe('platform:admin');
  });

  it('GET /admin/organizations?q= finds by part of the name or subdomain, any case; a bad q is 400 naming it', async () => {
    const tag = randomBytes(4).toString('hex');
    const byName = await signUp(t, { orgName: `Ölkännen ${tag} Hafen` });
    const bySub = await signUp(t, { orgName: 'Plain', subdomain: `sub-${tag}-x` });
    await signUp(t, { orgName: 'Unrelated' });
    const ids = async (q: string) => {
      const res = await t.request({
        method: 'GET',
        url: `/api/v1/admin/organizations?q=${encodeURIComponent(q)}`,
        headers: root.headers,
      });
      expect(res.statusCode).toBe(200);
      return (res.json().items as { id: string }[]).map((o) => o.id);
    };
    expect(await ids(tag.toUpperCase())).toEqual([byName.orgId, bySub.orgId]);
    expect(await ids(`${tag} hAFEN`)).toEqual([byName.orgId]);
    expect(await ids(`SUB-${tag}`)).toEqual([bySub.orgId]);
    // LIKE's wildcards are searched for as written, not as wildcards.
    expect(await ids(`${tag}%`)).toEqual([]);
    expect(await ids(`_${tag}`)).toEqual([]);

    for (const q of ['', 'x'.repeat(101)]) {
      const bad = await t.request({
        method: 'GET',
        url: `/api/v1/admin/organizations?q=${q}`,
        headers: root.headers,
      });
      expectFieldError(bad, 'q');
    }
  });

  it("suspending an organization makes its members' requests 403 organization-suspended until reactivated", async () => {
    const admin = await signUp(t);
    const member = await addMember(t, admin, 'user');
    const bystander = await signUp(t);
    const res = await t.request({
      method: 'PATCH',
      url: `/api/v1/admin/organizations/${admin.orgId}`,
      headers: root.headers,
      payload: { status: 'suspended' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('suspended');

    for (const s of [admin, member]) {
      const r = await t.request({ method: 'GET', url: '/api/v1/organization', headers: s.headers });
      expectProblem(r, 403, 'organization-suspended');
    }
    const loginRes = await t.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: member.email, password: STRONG_PASSWORD, organization: admin.orgId },
    });
    expectProblem(loginRes, 403, 'organization-suspended');
    // An org_admin cannot lift it; other organizations are unaffected.
    const selfLift = await t.request({
      method: 'PATCH',
      url: `/api/v1/admin/organizations/${admin.orgId}`,
      headers: bystander.headers,
      payload: { status: 'active' },
    });
    expectProblem(selfLift, 403, 'forbidden');
    expect(
      (await t.request({ method: 'GET', url: '/api/v1/organization', headers: bystander.headers }))
        .statusCode,
    ).toBe(200);

    const back = await t.request({
      method: 'PATCH',
      url: `/api/v1/admin/organizations/${admin.orgId}`,
      headers: root.headers,
      payload: { status: 'active' },
    });
    expect(back.statusCode).toBe(200);
    expect(
      (await t.request({ method: 'GET', url: '/api/v1/organization', headers: member.headers })).statusCode,
    ).toBe(200);
    const { rows } = await t.owner<{ action: string }>(
      "SELECT action FROM audit_events WHERE org_id = $1 AND action LIKE 'organization.%' ORDER BY created_at, id",
      [admin.orgId],
    );
    expect(rows.map((r) => r.action)).toEqual([
      'organization.create',
      'organization.suspend',
      'organization.reactivate',
    ]);
  });
});

// ---- IP rules: organization (S6) -------------------------------------------------------------

describe('organization IP rules', () => {
  const ADMIN_IP = '192.0.2.10';
  const addRule = (s: Session, payload: Record<string, unknown>, remoteAddress = ADMIN_IP) =>
    t.request({ method: 'POST', url: '/api/v1/ip-rules', headers: s.headers, payload, remoteAddress });
  const ruleCount = async (orgId: string) =>
    (await t.owner('SELECT count(*)::int AS n FROM ip_rules WHERE org_id = $1', [orgId])).rows[0]?.n;

  it('a deny rule for 10.0.0.0/8 blocks requests (and logins) from 10.1.2.3 with a valid token; other organizations are unaffected', async () => {
    const admin = await signUp(t);
    const bystander = await signUp(t);
    const res = await addRule(admin, { cidr: '10.0.0.0/8', action: 'deny', note: 'office VPN' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ cidr: '10.0.0.0/8', action: 'deny', note: 'office VPN' });

    const blocked = await t.request({
      method: 'GET',
      url: '/api/v1/organization',
      headers: admin.headers,
      remoteAddress: '10.1.2.3',
    });
    expectProblem(blocked, 403, 'ip-blocked');
    const loginRes = await t.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: admin.email, password: STRONG_PASSWORD },
      remoteAddress: '10.1.2.3',
    });
    expectProblem(loginRes, 403, 'ip-blocked');
    const fromElsewhere = await t.request({
      method: 'GET',
      url: '/api/v1/organization',
      headers: admin.headers,
      remoteAddress: '192.0.2.77',
    });
    expect(fromElsewhere.statusCode).toBe(200);
    const other = await t.request({
      method: 'GET',
      url: '/api/v1/organization',
      headers: bystander.headers,
      remoteAddress: '10.1.2.3',
    });
    expect(other.statusCode).toBe(200);
  });

  it("an allow rule that would exclude the caller's own address is 409 and stores nothing", async () => {
    const admin = await signUp(t);
    const res = await addRule(admin, { cidr: '198.51.100.0/24', action: 'allow' });
    expectProblem(res, 409, 'conflict');
    const selfDeny = await addRule(admin, { cidr: '192.0.2.0/24', action: 'deny' });
    expectProblem(selfDeny, 409, 'conflict');
    expect(await ruleCount(admin.orgId)).toBe(0);
    // Including the caller's own network makes it acceptable.
    const ok = await addRule(admin, { cidr: '192.0.2.0/24', action: 'allow' });
    expect(ok.statusCode).toBe(201);
    const outside = await t.request({
      method: 'GET',
      url: '/api/v1/organization',
      headers: admin.headers,
      remoteAddress: '198.51.100.9',
    });
    expectProblem(outside, 403, 'ip-blocked');
  });

  it('IPv6 rules (2001:db8::/32) work the same way', async () => {
    const admin = await signUp(t);
    const res = await addRule(admin, { cidr: '2001:db8::/32', action: 'deny' });
    expect(res.statusCode).toBe(201);
    expect(res.json().cidr).toBe('2001:db8::/32');
    const blocked = await t.request({
      method: 'GET',
      url: '/api/v1/organization',
      headers: admin.headers,
      remoteAddress: '2001:db8::1',
    });
    expectProblem(blocked, 403, 'ip-blocked');
    const okV6 = await t.request({
      method: 'GET',
      url: '/api/v1/organization',
      headers: admin.headers,
      remoteAddress: '2001:db9::1',
    });
    expect(okV6.statusCode).toBe(200);
    // Refusing its own IPv6 network is refused too.
    expectProblem(
      await addRule(admin, { cidr: '2001:db9::/32', action: 'deny' }, '2001:db9::5'),
      409,
      'conflict',
    );
    expect(await ruleCount(admin.orgId)).toBe(1);
  });

  it("an invalid cidr 'banana' answers 400 naming cidr; '10.1.2.3/8' is stored normalised as 10.0.0.0/8", async () => {
    const admin = await signUp(t);
    expectFieldError(await addRule(admin, { cidr: 'banana', action: 'deny' }), 'cidr');
    expectFieldError(await addRule(admin, { cidr: '10.0.0.0/33', action: 'deny' }), 'cidr');
    expect(await ruleCount(admin.orgId)).toBe(0);

    const res = await addRule(admin, { cidr: '10.1.2.3/8', action: 'deny' });
    expect(res.statusCode).toBe(201);
    expect(res.json().cidr).toBe('10.0.0.0/8');
    const list = await t.request({ method: 'GET', url: '/api/v1/ip-rules', headers: admin.headers });
    expect(list.json().items.map((r: { cidr: string }) => r.cidr)).toEqual(['10.0.0.0/8']);
    const { rows } = await t.owner('SELECT cidr::text AS cidr FROM ip_rules WHERE org_id = $1', [
      admin.orgId,
    ]);
    expect(rows).toEqual([{ cidr: '10.0.0.0/8' }]);
  });
});

// ---- IP rules: global (S6) -------------------------------------------------------------------

describe('global IP rules', () => {
  describe('IP_DENYLIST', () => {
    let deny: TestApp;
    beforeAll(async () => {
      deny = await createTestApp({ IP_DENYLIST: '203.0.113.0/24' });
    });
    afterAll(async () => {
      await deny?.close();
    });

    it('refuses every request from 203.0.113.7 (even login) with 403 ip-blocked; /health still answers 200', async () => {
      const s = await signUp(deny);
      const loginRes = await deny.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: s.email, password: STRONG_PASSWORD },
        remoteAddress: '203.0.113.7',
      });
      expectProblem(loginRes, 403, 'ip-blocked');
      const withToken = await deny.request({
        method: 'GET',
        url: '/api/v1/organization',
        headers: s.headers,
        remoteAddress: '203.0.113.7',
      });
      expectProblem(withToken, 403, 'ip-blocked');
      const health = await deny.request({ method: 'GET', url: '/health', remoteAddress: '203.0.113.7' });
      expect(health.statusCode).toBe(200);
      const elsewhere = await deny.request({
        method: 'GET',
        url: '/api/v1/organization',
        headers: s.headers,
        remoteAddress: '198.51.100.1',
      });
      expect(elsewhere.statusCode).toBe(200);
    });

    it('without TRUST_PROXY, X-Forwarded-For is ignored', async () => {
      const s = await signUp(deny);
      const spoofed = await deny.request({
        method: 'GET',
        url: '/api/v1/organization',
        headers: { ...s.headers, 'x-forwarded-for': '203.0.113.7' },
      });
      expect(spoofed.statusCode).toBe(200);
      const hidden = await deny.request({
        method: 'GET',
        url: '/api/v1/organization',
        headers: { ...s.headers, 'x-forwarded-for': '198.51.100.1' },
        remoteAddress: '203.0.113.7',
      });
      expectProblem(hidden, 403, 'ip-blocked');
    });
  });

  describe('IP_ALLOWLIST', () => {
    let allow: TestApp;
    beforeAll(async () => {
      allow = await createTestApp({ IP_ALLOWLIST: '198.51.100.0/24,2001:db8::/32' });
    });
    afterAll(async () => {
      await allow?.close();
    });

    it('only addresses on the allowlist get in; /health answers anyone', async () => {
      const payload = { email: uniqueEmail(), password: 'wrong-password-123' };
      const outside = await allow.request({ method: 'POST', url: '/api/v1/auth/login', payload });
      expectProblem(outside, 403, 'ip-blocked');
      const inside = await allow.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload,
        remoteAddress: '198.51.100.42',
      });
      expectProblem(inside, 401, 'invalid-credentials');
      const insideV6 = await allow.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload,
        remoteAddress: '2001:db8::42',
      });
      expectProblem(insideV6, 401, 'invalid-credentials');
      const health = await allow.request({ method: 'GET', url: '/health' });
      expect(health.statusCode).toBe(200);
    });
  });

  describe('TRUST_PROXY', () => {
    let proxied: TestApp;
    beforeAll(async () => {
      proxied = await createTestApp({ TRUST_PROXY: '127.0.0.1', IP_DENYLIST: '203.0.113.0/24' });
    });
    afterAll(async () => {
      await proxied?.close();
    });

    it('with TRUST_PROXY=127.0.0.1 the X-Forwarded-For address is the client address', async () => {
      const s = await signUp(proxied);
      const viaProxy = await proxied.request({
        method: 'GET',
        url: '/api/v1/organization',
        headers: { ...s.headers, 'x-forwarded-for': '203.0.113.7' },
      });
      expectProblem(viaProxy, 403, 'ip-blocked');
      const fine = await proxied.request({
        method: 'GET',
        url: '/api/v1/organization',
        headers: { ...s.headers, 'x-forwarded-for': '198.51.100.1' },
      });
      expect(fine.statusCode).toBe(200);
      // A sender that is not the trusted proxy cannot choose its address with the header.
      const untrusted = await proxied.request({
        method: 'GET',
        url: '/api/v1/organization',
        headers: { ...s.headers, 'x-forwarded-for': '203.0.113.7' },
        remoteAddress: '192.0.2.50',
      });
      expect(untrusted.statusCode).toBe(200);
    });
  });

  it('rules added by a super admin via /admin/ip-rules take effect for other addresses and can be removed', async () => {
    const root = await makeSuperAdmin(t);
    const admin = await signUp(t);
    const ROOT_IP = '192.0.2.10';
    const selfBlock = await t.request({
      method: 'POST',
      url: '/api/v1/admin/ip-rules',
      headers: root.headers,
      payload: { cidr: '198.51.100.0/24', action: 'allow' },
      remoteAddress: ROOT_IP,
    });
    expectProblem(selfBlock, 409, 'conflict');
    const forbidden = await t.request({
      method: 'POST',
      url: '/api/v1/admin/ip-rules',
      headers: admin.headers,
      payload: { cidr: '198.51.100.0/24', action: 'deny' },
      remoteAddress: ROOT_IP,
    });
    expectProblem(forbidden, 403, 'forbidden');
    expect((await t.owner('SELECT count(*)::int AS n FROM platform_ip_rules')).rows[0]?.n).toBe(0);

    const res = await t.request({
      method: 'POST',
      url: '/api/v1/admin/ip-rules',
      headers: root.headers,
      payload: { cidr: '198.51.100.7/24', action: 'deny' },
      remoteAddress: ROOT_IP,
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().cidr).toBe('198.51.100.0/24');
    try {
      const blocked = await t.request({
        method: 'GET',
        url: '/api/v1/organization',
        headers: admin.headers,
        remoteAddress: '198.51.100.20',
      });
      expectProblem(blocked, 403, 'ip-blocked');
      const loginRes = await t.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: admin.email, password: STRONG_PASSWORD },
        remoteAddress: '198.51.100.20',
      });
      expectProblem(loginRes, 403, 'ip-blocked');
      const health = await t.request({ method: 'GET', url: '/health', remoteAddress: '198.51.100.20' });
      expect(health.statusCode).toBe(200);
      const other = await t.request({
        method: 'GET',
        url: '/api/v1/organization',
        headers: admin.headers,
        remoteAddress: '192.0.2.99',
      });
      expect(other.statusCode).toBe(200);
      const list = await t.request({ method: 'GET', url: '/api/v1/admin/ip-rules', headers: root.headers });
      expect(list.json().items.map((r: { cidr: string }) => r.cidr)).toEqual(['198.51.100.0/24']);
    } finally {
      const del = await t.request({
        method: 'DELETE',
        url: `/api/v1/admin/ip-rules/${res.json().id}`,
        headers: root.headers,
        remoteAddress: ROOT_IP,
      });
      expect(del.statusCode).toBe(204);
    }
    const again = await t.request({
      method: 'GET',
      url: '/api/v1/organization',
      headers: admin.headers,
      remoteAddress: '198.51.100.20',
    });
    expect(again.statusCode).toBe(200);
  });
});
