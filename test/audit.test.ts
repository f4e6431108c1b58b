// S7 — the audit trail: every write and authentication event is recorded in the same transaction
// as the change, searchable per organization, hash-chained, append-only for the application role,
// and `bul audit verify` (and GET /audit/integrity) detect edited, deleted and reordered events.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditSealer } from '../src/modules/audit/sealer.ts';
import { STRONG_PASSWORD, TEST_MASTER_KEY } from './support/constants.ts';
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

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const UA = 'bul-audit-test/1.0 (+custom agent)';
const ZERO_HASH = '0'.repeat(64);

interface AuditEvent {
  id: string;
  seq: number;
  createdAt: string;
  actor: { type: string; id: string | null; label: string | null };
  action: string;
  outcome: 'success' | 'failure';
  resourceType: string | null;
  resourceId: string | null;
  changes: Record<string, { before: unknown; after: unknown }> | null;
  metadata: Record<string, unknown> | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  prevHash: string;
  hash: string;
}

interface Integrity {
  ok: boolean;
  checked: number;
  badSeq: number | null;
  badEventId: string | null;
  problem: string | null;
}

let t: TestApp;
let dataDir: string;

beforeAll(async () => {
  t = await createTestApp();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'bul-audit-cli-'));
});
afterAll(async () => {
  await t?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** A request that always carries the custom user agent. */
function req(opts: InjectOptions): Promise<LightMyRequestResponse> {
  return t.request({ ...opts, headers: { 'user-agent': UA, ...(opts.headers ?? {}) } });
}

function ok(res: LightMyRequestResponse, status: number): LightMyRequestResponse {
  if (res.statusCode !== status) throw new Error(`expected ${status}, got ${res.statusCode}: ${res.body}`);
  return res;
}

async function search(
  s: Session,
  query: Record<string, string | number> = {},
): Promise<{ items: AuditEvent[]; nextCursor: string | null }> {
  const res = await req({
    method: 'GET',
    url: '/api/v1/audit/search',
    headers: s.headers,
    query: strings(query),
  });
  return ok(res, 200).json();
}

function strings(q: Record<string, string | number>): Record<string, string> {
  return Object.fromEntries(Object.entries(q).map(([k, v]) => [k, String(v)]));
}

/** Every event of the caller's organization, newest first, by walking the cursor. */
async function allEvents(s: Session, query: Record<string, string | number> = {}): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const res: { items: AuditEvent[]; nextCursor: string | null } = await search(s, {
      limit: 200,
      ...query,
      ...(cursor ? { cursor } : {}),
    });
    out.push(...res.items);
    cursor = res.nextCursor;
    if (!cursor) return out;
  }
  throw new Error('cursor walk did not end');
}

async function countEvents(orgId: string): Promise<number> {
  const { rows } = await t.owner<{ n: string }>('SELECT count(*) AS n FROM audit_events WHERE org_id = $1', [
    orgId,
  ]);
  return Number(rows[0]!.n);
}

async function roleId(s: Session, key: string): Promise<string> {
  const res = ok(await req({ method: 'GET', url: '/api/v1/roles', headers: s.headers }), 200);
  const role = (res.json().items as { id: string; key: string | null }[]).find((r) => r.key === key);
  if (!role) throw new Error(`no role ${key}`);
  return role.id;
}

async function createDepartment(s: Session, name: string, parentId?: string): Promise<string> {
  const res = await req({
    method: 'POST',
    url: '/api/v1/departments',
    headers: s.headers,
    payload: { name, ...(parentId ? { parentId } : {}) },
  });
  return ok(res, 201).json().id;
}

function expectProblem(res: LightMyRequestResponse, status: number, code: string, field?: string): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  const body = res.json();
  expect(body.type).toBe(`urn:bul:error:${code}`);
  if (field) expect((body.errors as { field: string }[]).map((e) => e.field)).toContain(field);
}

function expectRequestMeta(e: AuditEvent, res: LightMyRequestResponse): void {
  expect(e.ip).toBe('127.0.0.1');
  expect(e.userAgent).toBe(UA);
  expect(e.requestId).toBe(res.headers['x-request-id']);
  expect(typeof e.requestId).toBe('string');
}

// ------------------------------------------------------------------------------------------------

describe('every write and authentication event is recorded', () => {
  it('records register, login ok and failed, refresh, API key, role, department, invitation, member role change and logout with actor, changes, ip, user agent and request id', async () => {
    const email = uniqueEmail('audit');
    const subdomain = uniqueSubdomain('audit');
    const reg = ok(
      await req({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: {
          email,
          password: STRONG_PASSWORD,
          name: 'Audit Admin',
          organization: { name: 'Audit Org', subdomain },
        },
      }),
      201,
    );
    const userId: string = reg.json().user.id;
    const orgId: string = reg.json().organization.id;

    const loginRes = ok(
      await req({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: STRONG_PASSWORD } }),
      200,
    );
    const admin: Session = {
      token: loginRes.json().accessToken,
      refreshToken: loginRes.json().refreshToken,
      userId,
      orgId,
      email,
      headers: { authorization: `Bearer ${loginRes.json().accessToken}` },
    };
    const sessionId: string = loginRes.json().sessionId;

    const failed = await req({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email, password: 'definitely-not-the-password-1' },
    });
    expectProblem(failed, 401, 'invalid-credentials');

    const refreshed = ok(
      await req({
        method: 'POST',
        url: '/api/v1/auth/refresh',
        payload: { refreshToken: admin.refreshToken },
      }),
      200,
    );

    const apiKey = ok(
      await req({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: admin.headers,
        payload: { name: 'ci key', scopes: ['departments:read'] },
      }),
      201,
    );

    const roleCreated = ok(
      await req({
        method: 'POST',
        url: '/api/v1/roles',
        headers: admin.headers,
        payload: { name: 'Auditors', description: 'reads the trail', permissions: ['audit:read'] },
      }),
      201,
    );
    const customRoleId: string = roleCreated.json().id;
    const roleChanged = ok(
      await req({
        method: 'PATCH',
        url: `/api/v1/roles/${customRoleId}`,
        headers: admin.headers,
        payload: { name: 'Trail readers' },
      }),
      200,
    );

    const deptCreated = ok(
      await req({
        method: 'POST',
        url: '/api/v1/departments',
        headers: admin.headers,
        payload: { name: 'Finance', description: 'money' },
      }),
      201,
    );
    const deptId: string = deptCreated.json().id;
    const deptUpdated = ok(
      await req({
        method: 'PATCH',
        url: `/api/v1/departments/${deptId}`,
        headers: admin.headers,
        payload: { name: 'Finance & Treasury', description: 'money' },
      }),
      200,
    );
    const deptDeleted = ok(
      await req({ method: 'DELETE', url: `/api/v1/departments/${deptId}`, headers: admin.headers }),
      204,
    );

    const inviteEmail = uniqueEmail('invitee');
    const invited = ok(
      await req({
        method: 'POST',
        url: '/api/v1/invitations',
        headers: admin.headers,
        payload: { email: inviteEmail, roleId: await roleId(admin, 'viewer') },
      }),
      201,
    );

    const member = await addMember(t, admin, 'user');
    const membership = ok(
      await req({ method: 'GET', url: '/api/v1/members', headers: admin.headers, query: { limit: '200' } }),
      200,
    ).json().items as { id: string; userId: string }[];
    const memberId = membership.find((m) => m.userId === member.userId)!.id;
    const roleChange = ok(
      await req({
        method: 'PATCH',
        url: `/api/v1/members/${memberId}`,
        headers: admin.headers,
        payload: { roleId: await roleId(admin, 'manager') },
      }),
      200,
    );

    // Logout with a second session, so the admin's token keeps working for the searches below.
    const second = await login(t, email);
    const logout = ok(
      await req({ method: 'POST', url: '/api/v1/auth/logout', headers: second.headers }),
      204,
    );

    const events = await allEvents(admin);
    const byRequest = (res: LightMyRequestResponse) =>
      events.filter((e) => e.requestId === res.headers['x-request-id']);
    const one = (res: LightMyRequestResponse, action: string): AuditEvent => {
      const found = byRequest(res).filter((e) => e.action === action);
      expect(found, `${action} for request ${res.headers['x-request-id']}`).toHaveLength(1);
      return found[0]!;
    };
    const adminActor = { type: 'user', id: userId, label: email };

    const registered = one(reg, 'user.register');
    expect(registered).toMatchObject({
      actor: adminActor,
      outcome: 'success',
      resourceType: 'user',
      resourceId: userId,
    });
    expectRequestMeta(registered, reg);
    const orgCreated = one(reg, 'organization.create');
    expect(orgCreated.changes).toEqual({
      name: { before: null, after: 'Audit Org' },
      subdomain: { before: null, after: subdomain },
      plan_id: { before: null, after: 'free' },
    });
    expect(orgCreated.resourceId).toBe(orgId);

    const loggedIn = one(loginRes, 'auth.login');
    expect(loggedIn).toMatchObject({
      actor: adminActor,
      outcome: 'success',
      resourceType: 'session',
      resourceId: sessionId,
    });
    expectRequestMeta(loggedIn, loginRes);

    const loginFailed = one(failed, 'auth.login');
    expect(loginFailed).toMatchObject({
      actor: adminActor,
      outcome: 'failure',
      resourceType: 'user',
      resourceId: userId,
    });
    expect(loginFailed.metadata).toMatchObject({ reason: 'wrong_password' });
    expect(JSON.stringify(loginFailed)).not.toContain('definitely-not-the-password-1');
    expectRequestMeta(loginFailed, failed);

    const refreshEvent = one(refreshed, 'auth.token_refresh');
    expect(refreshEvent).toMatchObject({ actor: adminActor, resourceType: 'session', resourceId: sessionId });
    expectRequestMeta(refreshEvent, refreshed);
    expect(JSON.stringify(refreshEvent)).not.toContain(admin.refreshToken);

    const keyEvent = one(apiKey, 'api_key.create');
    expect(keyEvent).toMatchObject({
      actor: adminActor,
      resourceType: 'api_key',
      resourceId: apiKey.json().id,
    });
    expect(JSON.stringify(keyEvent)).not.toContain(apiKey.json().key);
    expectRequestMeta(keyEvent, apiKey);

    const roleEvent = one(roleCreated, 'role.create');
    expect(roleEvent).toMatchObject({ actor: adminActor, resourceType: 'role', resourceId: customRoleId });
    expect(roleEvent.changes).toEqual({
      name: { before: null, after: 'Auditors' },
      description: { before: null, after: 'reads the trail' },
      permissions: { before: null, after: ['audit:read'] },
    });
    const roleUpdate = one(roleChanged, 'role.update');
    expect(roleUpdate.resourceId).toBe(customRoleId);
    // Only the changed field, with its before and after.
    expect(roleUpdate.changes).toEqual({ name: { before: 'Auditors', after: 'Trail readers' } });
    expectRequestMeta(roleUpdate, roleChanged);

    const deptCreate = one(deptCreated, 'department.create');
    expect(deptCreate).toMatchObject({ actor: adminActor, resourceType: 'department', resourceId: deptId });
    expect(deptCreate.changes).toEqual({
      name: { before: null, after: 'Finance' },
      description: { before: null, after: 'money' },
    });
    const deptUpdate = one(deptUpdated, 'department.update');
    // description was sent unchanged, so it is not in the diff.
    expect(deptUpdate.changes).toEqual({ name: { before: 'Finance', after: 'Finance & Treasury' } });
    expectRequestMeta(deptUpdate, deptUpdated);
    const deptDelete = one(deptDeleted, 'department.delete');
    expect(deptDelete).toMatchObject({ resourceType: 'department', resourceId: deptId });
    expect(deptDelete.changes).toEqual({
      name: { before: 'Finance & Treasury', after: null },
      description: { before: 'money', after: null },
    });
    expectRequestMeta(deptDelete, deptDeleted);

    const inviteEvent = one(invited, 'invitation.create');
    expect(inviteEvent).toMatchObject({
      actor: adminActor,
      resourceType: 'invitation',
      resourceId: invited.json().id,
    });
    expect(inviteEvent.metadata).toMatchObject({ email: inviteEmail.toLowerCase() });
    expect(JSON.stringify(inviteEvent)).not.toContain(invited.json().token);
    expectRequestMeta(inviteEvent, invited);

    const memberEvent = one(roleChange, 'member.role_change');
    expect(memberEvent).toMatchObject({
      actor: adminActor,
      resourceType: 'membership',
      resourceId: memberId,
    });
    expect(memberEvent.changes).toEqual({ role: { before: 'User', after: 'Manager' } });
    expectRequestMeta(memberEvent, roleChange);

    const logoutEvent = one(logout, 'auth.logout');
    expect(logoutEvent).toMatchObject({ actor: adminActor, resourceType: 'session' });
    expect(logoutEvent.resourceId).not.toBe(sessionId);
    expectRequestMeta(logoutEvent, logout);

    // The invitee's own acceptance is recorded too, with the invitee as actor.
    const accepted = events.filter((e) => e.action === 'invitation.accept');
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.actor).toMatchObject({ type: 'user', id: member.userId });
  });

  it('records an API-key actor as api_key with the key id', async () => {
    const admin = await signUp(t);
    const key = ok(
      await req({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: admin.headers,
        payload: { name: 'dept bot', scopes: ['departments:manage', 'departments:read'] },
      }),
      201,
    ).json();
    const created = ok(
      await req({
        method: 'POST',
        url: '/api/v1/departments',
        headers: { authorization: `Bearer ${key.key}` },
        payload: { name: 'Made by a key' },
      }),
      201,
    );
    const [event] = (await search(admin, { action: 'department.create' })).items;
    expect(event!.actor).toEqual({ type: 'api_key', id: key.id, label: admin.email });
    expect(event!.resourceId).toBe(created.json().id);
    expect(event!.requestId).toBe(created.headers['x-request-id']);
  });

  it('a failed write (409 department cycle) leaves no audit event and no change', async () => {
    const admin = await signUp(t);
    const parent = await createDepartment(admin, 'Parent');
    const child = await createDepartment(admin, 'Child', parent);
    const before = await countEvents(admin.orgId);
    const res = await req({
      method: 'PATCH',
      url: `/api/v1/departments/${parent}`,
      headers: admin.headers,
      payload: { parentId: child, name: 'Renamed in the same request' },
    });
    expectProblem(res, 409, 'conflict');
    expect(await countEvents(admin.orgId)).toBe(before);
    const { rows } = await t.owner('SELECT name, parent_id FROM departments WHERE org_id = $1 AND id = $2', [
      admin.orgId,
      parent,
    ]);
    expect(rows[0]).toEqual({ name: 'Parent', parent_id: null });
  });

  it('a write rolled back after its checks (last org admin demoted) leaves no audit event', async () => {
    const admin = await signUp(t);
    const me = ok(await req({ method: 'GET', url: '/api/v1/members', headers: admin.headers }), 200).json()
      .items[0] as { id: string };
    const before = await countEvents(admin.orgId);
    const res = await req({
      method: 'PATCH',
      url: `/api/v1/members/${me.id}`,
      headers: admin.headers,
      payload: { roleId: await roleId(admin, 'viewer') },
    });
    expectProblem(res, 409, 'conflict');
    expect(await countEvents(admin.orgId)).toBe(before);
  });
});

// ------------------------------------------------------------------------------------------------

describe('GET /audit/search', () => {
  let a: Session;
  let b: Session;
  let member: Session;
  let deptId: string;
  let orgBDeptId: string;

  beforeAll(async () => {
    a = await signUp(t);
    b = await signUp(t);
    member = await addMember(t, a, 'manager');
    deptId = await createDepartment(a, 'Ops');
    for (let i = 0; i < 6; i++) await createDepartment(a, `Team ${i}`, deptId);
    await createDepartment(member, 'Made by the manager');
    ok(
      await req({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: a.email, password: 'wrong-password-for-search' },
      }),
      401,
    );
    orgBDeptId = await createDepartment(b, 'Org B secret');
  });

  it('filters by user_id', async () => {
    const mine = await allEvents(a, { user_id: member.userId });
    expect(mine.length).toBeGreaterThanOrEqual(2); // invitation.accept, auth.login, department.create
    for (const e of mine) expect(e.actor.id).toBe(member.userId);
    expect(mine.map((e) => e.action)).toContain('department.create');
    const admins = await allEvents(a, { user_id: a.userId });
    for (const e of admins) expect(e.actor.id).toBe(a.userId);
    const adminIds = new Set(admins.map((e) => e.id));
    expect(admins.length).toBeGreaterThan(0);
    expect(mine.filter((e) => adminIds.has(e.id))).toEqual([]);
  });

  it('filters by exact action and by prefix auth.*', async () => {
    const creates = await allEvents(a, { action: 'department.create' });
    expect(creates).toHaveLength(8);
    for (const e of creates) expect(e.action).toBe('department.create');

    const auth = await allEvents(a, { action: 'auth.*' });
    expect(auth.length).toBeGreaterThanOrEqual(3);
    for (const e of auth) expect(e.action.startsWith('auth.')).toBe(true);
    expect(new Set(auth.map((e) => e.action))).toEqual(new Set(['auth.login']));

    // A prefix is not a LIKE pattern: '_' matches only itself.
    expect((await search(a, { action: 'a_th.*' })).items).toEqual([]);
    // An exact action that is only a prefix of real actions matches nothing.
    expect((await search(a, { action: 'department' })).items).toEqual([]);
  });

  it('filters by resource_type and resource_id', async () => {
    const depts = await allEvents(a, { resource_type: 'department' });
    expect(depts).toHaveLength(8);
    for (const e of depts) expect(e.resourceType).toBe('department');
    const one = await allEvents(a, { resource_id: deptId });
    expect(one).toHaveLength(1);
    expect(one[0]).toMatchObject({ action: 'department.create', resourceId: deptId });
  });

  it('filters by outcome', async () => {
    const failures = await allEvents(a, { outcome: 'failure' });
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ action: 'auth.login', outcome: 'failure', actor: { id: a.userId } });
    const successes = await allEvents(a, { outcome: 'success' });
    for (const e of successes) expect(e.outcome).toBe('success');
    expect(successes.length + failures.length).toBe(await countEvents(a.orgId));
    expectProblem(
      await req({ method: 'GET', url: '/api/v1/audit/search?outcome=maybe', headers: a.headers }),
      400,
      'validation-failed',
      'outcome',
    );
  });

  it('filters by start_date (inclusive) and end_date (exclusive)', async () => {
    const all = await allEvents(a);
    // Pick an event whose timestamp no other event shares.
    const pivot = all.find(
      (e, i) => i > 1 && i < all.length - 2 && all.filter((x) => x.createdAt === e.createdAt).length === 1,
    )!;
    expect(pivot).toBeDefined();
    const from = await allEvents(a, { start_date: pivot.createdAt });
    expect(from.map((e) => e.id)).toContain(pivot.id);
    expect(from).toEqual(all.filter((e) => e.createdAt >= pivot.createdAt));
    const until = await allEvents(a, { end_date: pivot.createdAt });
    expect(until.map((e) => e.id)).not.toContain(pivot.id);
    expect(until).toEqual(all.filter((e) => e.createdAt < pivot.createdAt));
    expect(from.length + until.length).toBe(all.length);

    const next = all[all.indexOf(pivot) - 1]!; // newer neighbour
    const window = await allEvents(a, { start_date: pivot.createdAt, end_date: next.createdAt });
    expect(window.map((e) => e.id)).toEqual([pivot.id]);

    for (const [start, end] of [
      [pivot.createdAt, pivot.createdAt],
      [next.createdAt, pivot.createdAt],
    ]) {
      const res = await req({
        method: 'GET',
        url: '/api/v1/audit/search',
        headers: a.headers,
        query: { start_date: start!, end_date: end! },
      });
      expectProblem(res, 400, 'validation-failed', 'end_date');
    }
    expectProblem(
      await req({ method: 'GET', url: '/api/v1/audit/search?start_date=yesterday', headers: a.headers }),
      400,
      'validation-failed',
      'start_date',
    );
  });

  it('accepts limit 1..200 and refuses 0 and 201 naming limit', async () => {
    expect((await search(a, { limit: 1 })).items).toHaveLength(1);
    expect((await search(a, { limit: 200 })).items.length).toBe(await countEvents(a.orgId));
    for (const limit of ['0', '201', '-1', 'abc', '1.5']) {
      const res = await req({
        method: 'GET',
        url: `/api/v1/audit/search?limit=${limit}`,
        headers: a.headers,
      });
      expectProblem(res, 400, 'validation-failed', 'limit');
    }
  });

  it('walks every event newest first with the cursor, without duplicates', async () => {
    const total = await countEvents(a.orgId);
    expect(total).toBeGreaterThan(10);
    const seen: AuditEvent[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { items: AuditEvent[]; nextCursor: string | null } = await search(a, {
        limit: 3,
        ...(cursor ? { cursor } : {}),
      });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 100);
    expect(cursor).toBeNull();
    expect(seen).toHaveLength(total);
    expect(new Set(seen.map((e) => e.id)).size).toBe(total);
    const seqs = seen.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => y - x));
    expect(seqs[0]).toBe(total);
    expect(seqs.at(-1)).toBe(1);
    for (let i = 1; i < seen.length; i++) expect(seen[i - 1]!.createdAt >= seen[i]!.createdAt).toBe(true);

    // The cursor combines with filters.
    const filtered: AuditEvent[] = [];
    cursor = null;
    do {
      const page: { items: AuditEvent[]; nextCursor: string | null } = await search(a, {
        limit: 2,
        action: 'department.create',
        ...(cursor ? { cursor } : {}),
      });
      filtered.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(filtered.map((e) => e.id)).toEqual(
      seen.filter((e) => e.action === 'department.create').map((e) => e.id),
    );
  });

  it('refuses a forged cursor naming cursor', async () => {
    const forged = [
      'not-a-cursor!!',
      Buffer.from('{"id":"x"}').toString('base64url'),
      Buffer.from('{"seq":"1; DROP TABLE audit_events"}').toString('base64url'),
      Buffer.from('[1,2]').toString('base64url'),
      Buffer.from('{"seq":1.5}').toString('base64url'),
    ];
    for (const cursor of forged) {
      const res = await req({
        method: 'GET',
        url: '/api/v1/audit/search',
        headers: a.headers,
        query: { cursor },
      });
      expectProblem(res, 400, 'validation-failed', 'cursor');
    }
  });

  it("never shows organization B's events to organization A", async () => {
    const aEvents = await allEvents(a);
    const { rows } = await t.owner<{ id: string }>('SELECT id FROM audit_events WHERE org_id = $1', [
      b.orgId,
    ]);
    expect(rows.length).toBeGreaterThan(0);
    const bIds = new Set(rows.map((r) => r.id));
    expect(aEvents.filter((e) => bIds.has(e.id))).toEqual([]);
    expect((await search(a, { resource_id: orgBDeptId })).items).toEqual([]);
    expect((await search(a, { user_id: b.userId })).items).toEqual([]);
    // And B sees its own.
    expect((await search(b, { resource_id: orgBDeptId })).items).toHaveLength(1);
    // A member without audit:read cannot search at all.
    const plain = await addMember(t, a, 'user');
    expectProblem(
      await req({ method: 'GET', url: '/api/v1/audit/search', headers: plain.headers }),
      403,
      'forbidden',
    );
  });
});

// ------------------------------------------------------------------------------------------------

interface ChainRow {
  id: string;
  seq: string;
  prev_hash: string;
  hash: string;
  recomputed: string;
}

/** The organization's chain as stored, once its pending events are sealed (as every reader does). */
async function chain(orgId: string): Promise<ChainRow[]> {
  await t.owner('SELECT bul_audit_seal($1)', [orgId]);
  const { rows } = await t.owner<ChainRow>(
    'SELECT e.id, e.seq, e.prev_hash, e.hash, bul_audit_hash(e) AS recomputed FROM audit_events e WHERE org_id = $1 ORDER BY seq',
    [orgId],
  );
  return rows;
}

function expectValidChain(rows: ChainRow[]): void {
  let prev = ZERO_HASH;
  rows.forEach((r, i) => {
    expect(Number(r.seq)).toBe(i + 1);
    expect(r.prev_hash).toBe(prev);
    expect(r.hash).toBe(r.recomputed);
    expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
    prev = r.hash;
  });
}

async function integrity(s: Session): Promise<Integrity> {
  return ok(await req({ method: 'GET', url: '/api/v1/audit/integrity', headers: s.headers }), 200).json();
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function bul(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'bin/bul.js'), ...args],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? os.tmpdir(),
          DATABASE_URL: t.ownerUrl,
          BUL_MASTER_KEY: TEST_MASTER_KEY,
          LOG_LEVEL: 'silent',
          BUL_DATA_DIR: dataDir,
        },
        timeout: 60_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** A fresh organization with a few events (registration, login, 4 departments). */
async function orgWithEvents(): Promise<Session> {
  const s = await signUp(t);
  for (let i = 0; i < 4; i++) await createDepartment(s, `D${i}`);
  expect(await countEvents(s.orgId)).toBeGreaterThanOrEqual(8);
  await t.owner('SELECT bul_audit_seal($1)', [s.orgId]);
  return s;
}

describe('hash chain', () => {
  it('numbers events 1..n without gaps and links each to the previous hash; integrity is ok', async () => {
    const s = await orgWithEvents();
    const rows = await chain(s.orgId);
    expectValidChain(rows);
    const events = await allEvents(s);
    expect(events.map((e) => e.seq)).toEqual(rows.map((r) => Number(r.seq)).reverse());
    for (const e of events) {
      const row = rows.find((r) => r.id === e.id)!;
      expect(e.hash).toBe(row.hash);
      expect(e.prevHash).toBe(row.prev_hash);
    }
    expect(await integrity(s)).toEqual({
      ok: true,
      checked: rows.length,
      badSeq: null,
      badEventId: null,
      problem: null,
    });
    const { rows: head } = await t.owner(
      'SELECT last_seq, last_hash FROM audit_chain_heads WHERE org_id = $1',
      [s.orgId],
    );
    expect(Number(head[0]!.last_seq)).toBe(rows.length);
    expect(head[0]!.last_hash).toBe(rows.at(-1)!.hash);
  });

  it('20 concurrent writes in one organization produce a gapless, valid chain', async () => {
    const s = await signUp(t);
    const before = await countEvents(s.orgId);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        req({
          method: 'POST',
          url: '/api/v1/departments',
          headers: s.headers,
          payload: { name: `Parallel ${i}` },
        }),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual(Array(20).fill(201));
    const rows = await chain(s.orgId);
    expect(rows).toHaveLength(before + 20);
    expectValidChain(rows);
    const creates = await allEvents(s, { action: 'department.create' });
    expect(new Set(creates.map((e) => e.resourceId))).toEqual(new Set(results.map((r) => r.json().id)));
    expect((await integrity(s)).ok).toBe(true);
  });

  it('the application role cannot UPDATE, DELETE or TRUNCATE audit events, nor touch chain heads (42501)', async () => {
    const s = await orgWithEvents();
    const before = await chain(s.orgId);
    const app = new pg.Client({ connectionString: t.appUrl });
    await app.connect();
    try {
      const attempts = [
        ["UPDATE audit_events SET action = 'x' WHERE org_id = $1", [s.orgId]],
        ['DELETE FROM audit_events WHERE org_id = $1', [s.orgId]],
        ['TRUNCATE audit_events', []],
        ['UPDATE audit_chain_heads SET last_seq = 0 WHERE org_id = $1', [s.orgId]],
        ['DELETE FROM audit_chain_heads WHERE org_id = $1', [s.orgId]],
        ['SELECT * FROM bul_audit_verify($1)', [s.orgId]],
      ] as const;
      for (const [sql, params] of attempts) {
        await app.query('BEGIN');
        await app.query("SELECT set_config('app.org_id', $1, true)", [s.orgId]);
        const err = await app.query(sql, [...params]).then(
          () => null,
          (e: { code?: string }) => e,
        );
        await app.query('ROLLBACK');
        expect(err?.code, sql).toBe('42501');
      }
      // Inserting into another organization's chain is refused by row-level security too.
      const other = await signUp(t);
      await app.query('BEGIN');
      await app.query("SELECT set_config('app.org_id', $1, true)", [s.orgId]);
      const insert = await app
        .query(
          `INSERT INTO audit_events (org_id, id, seq, created_at, actor_type, action, prev_hash, hash)
           VALUES ($1, gen_random_uuid(), 0, now(), 'system', 'forged', '', '')`,
          [other.orgId],
        )
        .then(
          () => null,
          (e: { code?: string }) => e,
        );
      await app.query('ROLLBACK');
      expect(insert?.code).toBe('42501');
    } finally {
      await app.end();
    }
    expect(await chain(s.orgId)).toEqual(before);
  });
});

// ------------------------------------------------------------------------------------------------

// Events are linked into the chain after their transaction commits (migration 0006): by each
// process's sealer every AUDIT_SEAL_INTERVAL_MS, and by every reader of the chain before it reads.
describe('sealing after commit', () => {
  interface Stored {
    seq: string | null;
    prev_hash: string;
    hash: string;
  }
  const stored = async (app: TestApp, orgId: string, id: string) =>
    (
      await app.owner<Stored>('SELECT seq, prev_hash, hash FROM audit_events WHERE org_id = $1 AND id = $2', [
        orgId,
        id,
      ])
    ).rows[0]!;
  const newest = async (app: TestApp, orgId: string, action: string) =>
    (
      await app.owner<{ id: string }>(
        'SELECT id FROM audit_events WHERE org_id = $1 AND action = $2 ORDER BY created_at DESC, id DESC LIMIT 1',
        [orgId, action],
      )
    ).rows[0]!.id;

  /** Creates a department in `app` as `s`; answers the id of its (pending) `department.create` event. */
  const departmentEvent = async (app: TestApp, s: Session) => {
    const res = await app.request({
      method: 'POST',
      url: '/api/v1/departments',
      headers: s.headers,
      payload: { name: 'Pending' },
    });
    expect(res.statusCode, res.body).toBe(201);
    return newest(app, s.orgId, 'department.create');
  };

  it('an event stays unsealed (no seq, no hashes) until a reader or the sealer links it; search and integrity see it at once', async () => {
    // A sealer that never runs during the test: only readers seal.
    const u = await createTestApp({ AUDIT_SEAL_INTERVAL_MS: '60000' });
    try {
      const s = await signUp(u);
      const id = await departmentEvent(u, s);
      expect(await stored(u, s.orgId, id)).toEqual({ seq: null, prev_hash: '', hash: '' });
      // Pending events are not part of the chain yet, so it verifies as it is.
      const verified = await u.owner<{ ok: boolean }>('SELECT * FROM bul_audit_verify($1)', [s.orgId]);
      expect(verified.rows[0]!.ok).toBe(true);

      const found = await u.request({
        method: 'GET',
        url: '/api/v1/audit/search',
        headers: s.headers,
        query: { action: 'department.create' },
      });
      expect(found.statusCode, found.body).toBe(200);
      const [event] = found.json().items as AuditEvent[];
      expect(event!.id).toBe(id);
      const after = await stored(u, s.orgId, id);
      expect(Number(after.seq)).toBe(event!.seq);
      expect(after.hash).toMatch(/^[0-9a-f]{64}$/);
      const total = (
        await u.owner<{ n: string }>('SELECT count(*) AS n FROM audit_events WHERE org_id = $1', [s.orgId])
      ).rows[0]!.n;
      expect(event!.seq).toBe(Number(total)); // the newest link of a gapless chain

      // GET /audit/integrity seals first too: a new event is checked, not skipped.
      await u.request({
        method: 'POST',
        url: '/api/v1/departments',
        headers: s.headers,
        payload: { name: 'Second' },
      });
      const check = await u.request({ method: 'GET', url: '/api/v1/audit/integrity', headers: s.headers });
      expect(check.json()).toMatchObject({ ok: true, checked: Number(total) + 1 });
    } finally {
      await u.close();
    }
  });

  it("one organization's events failing to seal do not hold back the others; the sealer reports it, and seals them once the fault is gone", async () => {
    const u = await createTestApp({ AUDIT_SEAL_INTERVAL_MS: '60000' });
    const errors: string[] = [];
    const sealer = new AuditSealer({
      pool: u.pool,
      intervalMs: 60_000,
      onError: (err) => errors.push((err as Error).message),
    });
    try {
      const [broken, healthy] = [await signUp(u), await signUp(u)];
      const brokenEvent = await departmentEvent(u, broken);
      const healthyEvent = await departmentEvent(u, healthy);
      // The fault: a trigger (as an operator might add) that rejects any change to one
      // organization's audit rows, as a corrupt row or a lock timeout would.
      await u.owner(`
        CREATE FUNCTION test_reject_seal() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.org_id = '${broken.orgId}' THEN RAISE EXCEPTION 'the disk said no'; END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER test_reject_seal BEFORE UPDATE ON audit_events
          FOR EACH ROW EXECUTE FUNCTION test_reject_seal();`);

      await sealer.sealOnce();
      expect((await stored(u, healthy.orgId, healthyEvent)).seq).not.toBeNull();
      expect((await stored(u, broken.orgId, brokenEvent)).seq).toBeNull();
      expect(errors).toEqual([
        `audit events of organization ${broken.orgId} were not sealed: the disk said no`,
      ]);
      // A reader of the broken chain gets the error rather than an incomplete chain.
      const integrity = await u.request({
        method: 'GET',
        url: '/api/v1/audit/integrity',
        headers: broken.headers,
      });
      expect(integrity.statusCode).toBe(500);
      expect(integrity.body).not.toContain('the disk said no');

      await u.owner('DROP TRIGGER test_reject_seal ON audit_events; DROP FUNCTION test_reject_seal()');
      await sealer.sealOnce();
      expect((await stored(u, broken.orgId, brokenEvent)).seq).not.toBeNull();
      expect(errors).toHaveLength(1);
      for (const s of [broken, healthy]) {
        const check = await u.request({ method: 'GET', url: '/api/v1/audit/integrity', headers: s.headers });
        expect(check.json()).toMatchObject({ ok: true });
      }
    } finally {
      await u.close();
    }
  });

  it('sealing reads one row per pending event, also on a connection that first sealed while the table was new (migration 0008)', async () => {
    // The trap 0008 removes: plpgsql keeps a statement's plan for the connection's life. A sealer
    // connection that planned its per-event write while audit_events was new (never analysed)
    // found each event through the (org_id, created_at) index, reading the organization's whole
    // chain per event.
    const u = await createTestApp({ AUDIT_SEAL_INTERVAL_MS: '60000' });
    const sealer = new pg.Client({ connectionString: u.appUrl }); // the app role, as the sealer
    try {
      const s = await signUp(u);
      const addEvents = (n: number) =>
        u.owner(
          `INSERT INTO audit_events (org_id, id, seq, created_at, actor_type, action, outcome, prev_hash, hash)
           SELECT $1, gen_random_uuid(), NULL, clock_timestamp(), 'system', 'test.event', 'success', '', ''
           FROM generate_series(1, $2)`,
          [s.orgId, n],
        );
      const seal = async () =>
        Number((await sealer.query<{ n: number }>('SELECT bul_audit_seal(NULL, 10000) AS n')).rows[0]!.n);
      await sealer.connect();
      // Past plpgsql's five custom plans, so the connection keeps a generic one, made on a new table.
      for (let i = 0; i < 8; i++) {
        await addEvents(1);
        await seal();
      }
      await addEvents(3000);
      await seal();
      await addEvents(200);

      /** Index entries read from audit_events so far, by index (the sealer's counts flushed first). */
      const entriesRead = async () => {
        await sealer.query('SELECT pg_stat_force_next_flush()'); // flushed before its answer
        await u.owner('SELECT pg_stat_clear_snapshot()');
        const { rows } = await u.owner<{ name: string; read: string }>(
          `SELECT indexrelname AS name, idx_tup_read AS read FROM pg_stat_user_indexes
           WHERE relname = 'audit_events'`,
        );
        return new Map(rows.map((r) => [r.name, Number(r.read)]));
      };
      const before = await entriesRead();
      expect(await seal()).toBe(200);
      const after = await entriesRead();
      // Finding the pending events reads the small pending-events index; writing each one back
      // reads no index at all (before 0008: about 1.1 million entries of the time index here).
      const elsewhere = [...after].filter(([name]) => name !== 'audit_events_unsealed_idx');
      const read = elsewhere.reduce((sum, [name, n]) => sum + n - (before.get(name) ?? 0), 0);
      expect(read).toBeLessThanOrEqual(200);
      const check = await u.request({ method: 'GET', url: '/api/v1/audit/integrity', headers: s.headers });
      expect(check.json()).toMatchObject({ ok: true });
    } finally {
      await sealer.end();
      await u.close();
    }
  });

  it('the background sealer links new events within moments, with no reader', async () => {
    const s = await signUp(t);
    await createDepartment(s, 'Sealed by the timer');
    const id = await newest(t, s.orgId, 'department.create');
    let row = await stored(t, s.orgId, id);
    for (let i = 0; i < 100 && row.seq === null; i++) {
      await new Promise((r) => setTimeout(r, 50));
      row = await stored(t, s.orgId, id);
    }
    expect(row.seq).not.toBeNull();
    expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
    expectValidChain(await chain(s.orgId));
  });
});

// ------------------------------------------------------------------------------------------------

describe('tampering is detected by `bul audit verify` and GET /audit/integrity', () => {
  let clean: Session;
  const tampered: string[] = [];

  beforeAll(async () => {
    clean = await orgWithEvents();
  });

  it('exits 0 for an untampered organization, and for every chain without --org', async () => {
    const one = await bul(['audit', 'verify', '--org', clean.orgId]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toContain(`ok   ${clean.orgId}`);
    expect(one.stdout).toContain(`${await countEvents(clean.orgId)} events`);
    const all = await bul(['audit', 'verify']);
    expect(all.code, all.stdout + all.stderr).toBe(0);
    expect(all.stdout).toContain(`ok   ${clean.orgId}`);
    expect(all.stdout).not.toContain('FAIL');
  });

  it('(a) an edited event (action and metadata) → exit 1 naming its id and seq', async () => {
    const s = await orgWithEvents();
    tampered.push(s.orgId);
    const victim = (await chain(s.orgId))[3]!;
    await t.owner(
      `UPDATE audit_events SET action = 'department.view', metadata = '{"innocent":true}' WHERE org_id = $1 AND id = $2`,
      [s.orgId, victim.id],
    );
    const r = await bul(['audit', 'verify', '--org', s.orgId]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain(`FAIL ${s.orgId}`);
    expect(r.stdout).toContain(`event id ${victim.id}, seq ${victim.seq}`);
    expect(r.stdout).toContain('modified');
    expect(await integrity(s)).toMatchObject({ ok: false, badSeq: 4, badEventId: victim.id });
  });

  it('(b) a deleted middle event → exit 1 naming the gap', async () => {
    const s = await orgWithEvents();
    tampered.push(s.orgId);
    const rows = await chain(s.orgId);
    await t.owner('DELETE FROM audit_events WHERE org_id = $1 AND seq = 3', [s.orgId]);
    const r = await bul(['audit', 'verify', '--org', s.orgId]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('expected event #3 but found #4');
    expect(r.stdout).toContain(`event id ${rows[3]!.id}, seq 4`);
    const api = await integrity(s);
    expect(api).toMatchObject({ ok: false, badSeq: 4, badEventId: rows[3]!.id });
    expect(api.problem).toContain('expected event #3 but found #4');
  });

  it('(c) two events with swapped seq → exit 1', async () => {
    const s = await orgWithEvents();
    tampered.push(s.orgId);
    const rows = await chain(s.orgId);
    await t.owner('UPDATE audit_events SET seq = -1 WHERE org_id = $1 AND seq = 3', [s.orgId]);
    await t.owner('UPDATE audit_events SET seq = 3 WHERE org_id = $1 AND seq = 4', [s.orgId]);
    await t.owner('UPDATE audit_events SET seq = 4 WHERE org_id = $1 AND seq = -1', [s.orgId]);
    const r = await bul(['audit', 'verify', '--org', s.orgId]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain(`FAIL ${s.orgId}`);
    expect(r.stdout).toContain(`event id ${rows[3]!.id}, seq 3`); // the old #4, now at position 3
    expect(await integrity(s)).toMatchObject({ ok: false, badSeq: 3, badEventId: rows[3]!.id });
  });

  it('(d) the newest event deleted → exit 1 (chain head mismatch)', async () => {
    const s = await orgWithEvents();
    tampered.push(s.orgId);
    const n = (await chain(s.orgId)).length;
    await t.owner('DELETE FROM audit_events WHERE org_id = $1 AND seq = $2', [s.orgId, n]);
    const r = await bul(['audit', 'verify', '--org', s.orgId]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain(`the chain ends at event #${n - 1} but its head records #${n}`);
    const api = await integrity(s);
    expect(api).toMatchObject({ ok: false, badSeq: n, badEventId: null });
    expect(api.problem).toContain('head');
  });

  it('(e) an edited event with a recomputed hash → exit 1 (the next event no longer links)', async () => {
    const s = await orgWithEvents();
    tampered.push(s.orgId);
    const rows = await chain(s.orgId);
    const victim = rows[2]!;
    await t.owner(
      `UPDATE audit_events SET metadata = '{"forged":true}', actor_label = 'someone-else@example.com'
       WHERE org_id = $1 AND id = $2`,
      [s.orgId, victim.id],
    );
    await t.owner('UPDATE audit_events e SET hash = bul_audit_hash(e) WHERE org_id = $1 AND id = $2', [
      s.orgId,
      victim.id,
    ]);
    const after = (await chain(s.orgId))[2]!;
    expect(after.hash).toBe(after.recomputed); // looks self-consistent...
    expect(after.hash).not.toBe(victim.hash);
    const r = await bul(['audit', 'verify', '--org', s.orgId]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain(`event id ${rows[3]!.id}, seq 4`); // ...but #4 still links to the old hash
    expect(r.stdout).toContain('does not link');
    expect(await integrity(s)).toMatchObject({ ok: false, badSeq: 4, badEventId: rows[3]!.id });
  });

  it('a sealed event put back to "unsealed" (seq NULL) leaves a gap: verify exits 1', async () => {
    const s = await orgWithEvents();
    const rows = await chain(s.orgId);
    await t.owner(
      `UPDATE audit_events SET seq = NULL, prev_hash = '', hash = '' WHERE org_id = $1 AND seq = 3`,
      [s.orgId],
    );
    tampered.push(s.orgId);
    const r = await bul(['audit', 'verify', '--org', s.orgId]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain(`event id ${rows[3]!.id}, seq 4`);
    expect(r.stdout).toContain('deleted or renumbered');
  });

  it('without --org checks every chain: exit 1 listing each tampered organization, clean ones ok', async () => {
    expect(tampered).toHaveLength(6);
    const r = await bul(['audit', 'verify']);
    expect(r.code, r.stderr).toBe(1);
    for (const orgId of tampered) expect(r.stdout).toContain(`FAIL ${orgId}`);
    expect(r.stdout).toContain(`ok   ${clean.orgId}`);
    expect(r.stdout.match(/^FAIL /gm)).toHaveLength(6);
    expect((await integrity(clean)).ok).toBe(true);
  });

  it("refuses an invalid --org 'nope' with exit 2", async () => {
    const r = await bul(['audit', 'verify', '--org', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--org');
    expect(r.stdout).toBe('');
  });
});
