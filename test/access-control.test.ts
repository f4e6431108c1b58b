// S4: every route is either explicitly public or needs credentials; every permission-guarded
// route refuses a member without that permission; built-in and custom roles, scoped API keys and
// the platform super admin behave as the permission catalogue says.
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  addMember,
  createTestApp,
  login,
  type Session,
  signUp,
  type TestApp,
  uniqueEmail,
} from './support/test-app.ts';

let t: TestApp;
let admin: Session;
const members: Record<string, Session> = {};
let nobody: Session; // holds a custom role with no permissions at all

/** Operations anyone may call without credentials ("METHOD path" as in the OpenAPI document). */
const PUBLIC_OPERATIONS = [
  'GET /health',
  'GET /ready',
  'GET /metrics',
  'GET /.well-known/jwks.json',
  'GET /api/v1/errors',
  'POST /api/v1/auth/register',
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/login/mfa',
  'POST /api/v1/auth/login/mfa/setup',
  'POST /api/v1/auth/refresh',
  'POST /api/v1/invitations/accept',
  // Providers' callbacks (checked by their signature) and one-click unsubscribe (a sealed token).
  'GET /api/v1/notifications/callbacks/{channelId}',
  'POST /api/v1/notifications/callbacks/{channelId}',
  'GET /api/v1/notifications/unsubscribe',
  'POST /api/v1/notifications/unsubscribe',
];

/** Public pages that the OpenAPI document does not list (the landing page and the docs themselves). */
const PUBLIC_UNDOCUMENTED = ['GET /', 'GET /docs', 'GET /docs/json'];

const SIGNED_IN = 'any signed-in user';

interface Operation {
  method: string;
  path: string;
  permission: string | undefined;
  security: unknown[] | undefined;
}

let operations: Operation[];

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

async function api(s: Session | Record<string, string>, method: Method, url: string, payload?: unknown) {
  const headers = 'headers' in s ? (s as Session).headers : (s as Record<string, string>);
  return t.request({
    method,
    url,
    headers,
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

function expectProblem(
  res: { statusCode: number; headers: Record<string, unknown>; json: () => Record<string, unknown> },
  status: number,
  code: string,
) {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toContain('application/problem+json');
  expect(res.json().type).toBe(`urn:bul:error:${code}`);
}

async function membershipIdOf(userId: string, orgId = admin.orgId): Promise<string> {
  const { rows } = await t.owner<{ id: string }>(
    'SELECT id FROM memberships WHERE org_id = $1 AND user_id = $2',
    [orgId, userId],
  );
  return rows[0]!.id;
}

async function roleIdByKey(key: string): Promise<string> {
  const { rows } = await t.owner<{ id: string }>('SELECT id FROM roles WHERE org_id = $1 AND key = $2', [
    admin.orgId,
    key,
  ]);
  return rows[0]!.id;
}

async function createRole(name: string, permissions: string[]) {
  const res = await api(admin, 'POST', '/api/v1/roles', { name, permissions });
  if (res.statusCode !== 201) throw new Error(`role create failed: ${res.statusCode} ${res.body}`);
  return res.json() as { id: string; version: number; permissions: string[] };
}

async function assignRole(member: Session, roleId: string): Promise<void> {
  const res = await api(admin, 'PATCH', `/api/v1/members/${await membershipIdOf(member.userId)}`, {
    roleId,
  });
  if (res.statusCode !== 200) throw new Error(`role assignment failed: ${res.statusCode} ${res.body}`);
}

const roleCount = async () =>
  (await t.owner<{ n: number }>('SELECT count(*)::int AS n FROM roles WHERE org_id = $1', [admin.orgId]))
    .rows[0]!.n;

beforeAll(async () => {
  t = await createTestApp();
  admin = await signUp(t, { orgName: 'Access Co' });
  // Room for everyone below (the free plan stops at 5 users).
  const plan = await api(admin, 'PUT', '/api/v1/organization/plan', { planId: 'business' });
  if (plan.statusCode !== 200) throw new Error(`plan change failed: ${plan.body}`);
  for (const key of ['viewer', 'analyst', 'manager', 'developer', 'user'])
    members[key] = await addMember(t, admin, key);
  nobody = await addMember(t, admin, 'user');
  await assignRole(nobody, (await createRole('No permissions', [])).id);

  const doc = (await t.request({ method: 'GET', url: '/docs/json' })).json() as {
    paths: Record<string, Record<string, { 'x-permission'?: string; security?: unknown[] }>>;
  };
  operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops)
      .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
      .map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        permission: op['x-permission'],
        security: op.security,
      })),
  );
});

afterAll(async () => {
  await t?.close();
});

/** A concrete URL for an OpenAPI path: every path parameter becomes a fresh UUID. */
const urlOf = (path: string) => path.replace(/\{[^}]+\}/g, () => randomUUID());
const hasBody = (method: string) => method === 'POST' || method === 'PUT' || method === 'PATCH';

describe('route walk: authentication', () => {
  it('lists a good number of operations in /docs/json', () => {
    expect(operations.length).toBeGreaterThan(40);
    for (const op of PUBLIC_OPERATIONS) {
      expect(
        operations.map((o) => `${o.method} ${o.path}`),
        `${op} is on the public list but not a route`,
      ).toContain(op);
    }
  });

  it('answers 401 unauthenticated without credentials on every operation not on the public list, and the public list is exact', async () => {
    const observedPublic: string[] = [];
    for (const op of operations) {
      const name = `${op.method} ${op.path}`;
      const res = await t.request({
        method: op.method as Method,
        url: urlOf(op.path),
        ...(hasBody(op.method) ? { payload: {} } : {}),
      });
      const protectedRoute =
        res.statusCode === 401 && res.headers['content-type']?.toString().includes('problem+json')
          ? res.json().type === 'urn:bul:error:unauthenticated'
          : false;
      if (!protectedRoute) observedPublic.push(name);
      // Never a server error, whatever the route.
      expect(res.statusCode, `${name}: ${res.body.slice(0, 200)}`).toBeLessThan(500);
      // The document tells the same story as the server.
      if (PUBLIC_OPERATIONS.includes(name)) {
        expect(op.security, `${name} is documented as public`).toEqual([]);
        expect(op.permission, name).toBeUndefined();
      } else {
        expect(op.security, `${name} is documented as protected`).not.toEqual([]);
        expect(op.permission, `${name} names what it needs`).toBeDefined();
      }
    }
    // Public but not on the list, or on the list but protected: both fail here.
    expect(observedPublic.sort()).toEqual([...PUBLIC_OPERATIONS].sort());
  });

  it('serves the landing page and the API documentation without credentials', async () => {
    for (const op of PUBLIC_UNDOCUMENTED) {
      const [method, url] = op.split(' ') as [Method, string];
      const res = await t.request({ method, url });
      expect(res.statusCode, op).toBe(200);
    }
  });

  it('answers 401 unauthenticated for a malformed Authorization header and a garbage token', async () => {
    const malformed = await api({ authorization: 'Basic abc' }, 'GET', '/api/v1/auth/me');
    expectProblem(malformed, 401, 'unauthenticated');
    const garbage = await api({ authorization: 'Bearer not-a-jwt' }, 'GET', '/api/v1/auth/me');
    expectProblem(garbage, 401, 'invalid-token');
  });
});

describe('route walk: permissions', () => {
  it('refuses 403 forbidden, naming the permission, on every permission-guarded operation to a member whose role has no permissions', async () => {
    const me = await api(nobody, 'GET', '/api/v1/auth/me');
    expect(me.statusCode).toBe(200);
    expect(me.json().permissions).toEqual([]);
    const guarded = operations.filter((o) => o.permission && o.permission !== SIGNED_IN);
    expect(guarded.length).toBeGreaterThan(25);
    for (const op of guarded) {
      const name = `${op.method} ${op.path}`;
      const res = await t.request({
        method: op.method as Method,
        url: urlOf(op.path),
        headers: nobody.headers,
        ...(hasBody(op.method) ? { payload: {} } : {}),
      });
      expect(res.statusCode, `${name}: ${res.body.slice(0, 200)}`).toBe(403);
      expect(res.json().type, name).toBe('urn:bul:error:forbidden');
      expect(res.json().permission, name).toBe(op.permission);
    }
  });

  it('lets the same member read the routes open to any signed-in user', async () => {
    const reads = operations.filter(
      (o) => o.permission === SIGNED_IN && o.method === 'GET' && !o.path.includes('{'),
    );
    expect(reads.length).toBeGreaterThanOrEqual(3);
    for (const op of reads) {
      const res = await api(nobody, 'GET', op.path);
      expect(res.statusCode, `${op.method} ${op.path}: ${res.body.slice(0, 200)}`).toBe(200);
    }
  });

  it('names only permissions of the catalogue in x-permission', async () => {
    const catalogue = (await api(admin, 'GET', '/api/v1/permissions')).json() as {
      permissions: { name: string }[];
    };
    const names = new Set(catalogue.permissions.map((p) => p.name));
    for (const op of operations) {
      if (op.permission && op.permission !== SIGNED_IN)
        expect(names.has(op.permission), `${op.method} ${op.path}: ${op.permission}`).toBe(true);
    }
  });
});

describe('built-in roles', () => {
  it('publishes the catalogue and built-in roles, org_admin holding every non-platform permission', async () => {
    const res = await api(admin, 'GET', '/api/v1/permissions');
    expect(res.statusCode).toBe(200);
    const body = res.json() as {
      permissions: { name: string; description: string; platformOnly: boolean }[];
      builtinRoles: { key: string; permissions: string[] }[];
    };
    const all = body.permissions.map((p) => p.name);
    expect(all).toContain('platform:admin');
    expect(body.permissions.find((p) => p.name === 'platform:admin')!.platformOnly).toBe(true);
    for (const p of body.permissions) expect(p.description.length, p.name).toBeGreaterThan(0);
    const orgPermissions = body.permissions.filter((p) => !p.platformOnly).map((p) => p.name);
    const roles = Object.fromEntries(body.builtinRoles.map((r) => [r.key, r.permissions]));
    expect(Object.keys(roles).sort()).toEqual(
      ['analyst', 'developer', 'manager', 'org_admin', 'super_admin', 'user', 'viewer'].sort(),
    );
    expect([...roles.org_admin!].sort()).toEqual([...orgPermissions].sort());
    expect([...roles.super_admin!].sort()).toEqual([...all].sort());
    for (const [key, perms] of Object.entries(roles)) {
      if (key !== 'super_admin') expect(perms, key).not.toContain('platform:admin');
    }
    // What each member actually holds is what the catalogue says for its role.
    const me = await api(admin, 'GET', '/api/v1/auth/me');
    expect([...me.json().permissions].sort()).toEqual([...orgPermissions].sort());
    for (const key of ['viewer', 'analyst', 'manager', 'developer', 'user']) {
      const m = await api(members[key]!, 'GET', '/api/v1/auth/me');
      expect(m.json().role.key).toBe(key);
      expect([...m.json().permissions].sort(), key).toEqual([...roles[key]!].sort());
    }
  });

  it('lets a viewer read the organization but not list members (403)', async () => {
    const org = await api(members.viewer!, 'GET', '/api/v1/organization');
    expect(org.statusCode).toBe(200);
    expect(org.json().id).toBe(admin.orgId);
    const list = await api(members.viewer!, 'GET', '/api/v1/members');
    expectProblem(list, 403, 'forbidden');
    expect(list.json().permission).toBe('members:read');
  });

  it('lets an analyst search the audit trail', async () => {
    const res = await api(members.analyst!, 'GET', '/api/v1/audit/search');
    expect(res.statusCode).toBe(200);
    expect(res.json().items.length).toBeGreaterThan(0);
  });

  it('refuses a manager changing the organization (403) and leaves it unchanged', async () => {
    const before = (await api(admin, 'GET', '/api/v1/organization')).json();
    const res = await api(members.manager!, 'PATCH', '/api/v1/organization', { name: 'Taken over' });
    expectProblem(res, 403, 'forbidden');
    expect(res.json().permission).toBe('organization:update');
    const after = (await api(admin, 'GET', '/api/v1/organization')).json();
    expect(after).toEqual(before);
  });

  it('lets a developer create an API key', async () => {
    const res = await api(members.developer!, 'POST', '/api/v1/api-keys', {
      name: 'dev key',
      scopes: ['members:read'],
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().userId).toBe(members.developer!.userId);
  });
});

describe('custom roles', () => {
  it('refuses 400 a role with an unknown permission, naming permissions, and stores nothing', async () => {
    const before = await roleCount();
    const res = await api(admin, 'POST', '/api/v1/roles', {
      name: 'Unknown perms',
      permissions: ['members:read', 'spaceships:launch'],
    });
    expectProblem(res, 400, 'validation-failed');
    expect(res.json().errors).toEqual([
      expect.objectContaining({ field: 'permissions', rule: 'permissionCatalogue' }),
    ]);
    expect(res.json().detail).toContain('spaceships:launch');
    expect(await roleCount()).toBe(before);
  });

  it('refuses 400 a role carrying the platform permission platform:admin, and stores nothing', async () => {
    const before = await roleCount();
    const res = await api(admin, 'POST', '/api/v1/roles', {
      name: 'Platform wannabe',
      permissions: ['platform:admin'],
    });
    expectProblem(res, 400, 'validation-failed');
    expect(res.json().errors).toEqual([
      expect.objectContaining({ field: 'permissions', rule: 'platformPermission' }),
    ]);
    expect(await roleCount()).toBe(before);
  });

  it('refuses 403 a manager (roles:read only) creating a role', async () => {
    const before = await roleCount();
    const res = await api(members.manager!, 'POST', '/api/v1/roles', {
      name: 'Manager made',
      permissions: ['members:read'],
    });
    expectProblem(res, 403, 'forbidden');
    expect(res.json().permission).toBe('roles:manage');
    expect(await roleCount()).toBe(before);
  });

  it('applies a custom role at once, honours If-Match on change, refuses deleting a held role, and audits it all', async () => {
    const role = await createRole('Member readers', ['members:read']);
    expect(role.permissions).toEqual(['members:read']);
    const member = await addMember(t, admin, 'user');
    const membershipId = await membershipIdOf(member.userId);
    await assignRole(member, role.id);

    expect((await api(member, 'GET', '/api/v1/members')).statusCode).toBe(200);
    const refused = await api(member, 'POST', '/api/v1/invitations', {
      email: uniqueEmail('refused'),
      roleId: role.id,
    });
    expectProblem(refused, 403, 'forbidden');
    expect(refused.json().permission).toBe('members:invite');

    // A stale If-Match changes nothing.
    const stale = await t.request({
      method: 'PATCH',
      url: `/api/v1/roles/${role.id}`,
      headers: { ...admin.headers, 'if-match': `"${role.version + 7}"` },
      payload: { permissions: ['members:read', 'members:invite'] },
    });
    expectProblem(stale, 412, 'precondition-failed');
    const unchanged = (await api(admin, 'GET', `/api/v1/roles/${role.id}`)).json();
    expect(unchanged.permissions).toEqual(['members:read']);
    expect(unchanged.version).toBe(role.version);

    const updated = await t.request({
      method: 'PATCH',
      url: `/api/v1/roles/${role.id}`,
      headers: { ...admin.headers, 'if-match': `"${role.version}"` },
      payload: { permissions: ['members:read', 'members:invite'] },
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json().permissions).toEqual(['members:invite', 'members:read']);
    expect(updated.json().version).toBe(role.version + 1);

    // Same session, no new login: the new permission applies at once.
    const invited = await api(member, 'POST', '/api/v1/invitations', {
      email: uniqueEmail('now-allowed'),
      roleId: role.id,
    });
    expect(invited.statusCode).toBe(201);

    // A role someone holds cannot go.
    const del = await api(admin, 'DELETE', `/api/v1/roles/${role.id}`);
    expectProblem(del, 409, 'conflict');
    expect(
      (await t.owner('SELECT 1 FROM roles WHERE org_id = $1 AND id = $2', [admin.orgId, role.id])).rowCount,
    ).toBe(1);

    // The audit trail tells the story.
    const events = async (action: string, resourceId: string) =>
      (
        await api(
          admin,
          'GET',
          `/api/v1/audit/search?action=${encodeURIComponent(action)}&resource_id=${resourceId}`,
        )
      ).json().items as {
        action: string;
        actor: { id: string };
        changes: Record<string, { before: unknown; after: unknown }> | null;
      }[];
    const [create] = await events('role.create', role.id);
    expect(create?.actor.id).toBe(admin.userId);
    expect(create?.changes?.permissions).toEqual({ before: null, after: ['members:read'] });
    const updates = await events('role.update', role.id);
    expect(updates).toHaveLength(1); // the stale attempt left no event
    expect(updates[0]!.changes?.permissions).toEqual({
      before: ['members:read'],
      after: ['members:invite', 'members:read'],
    });
    const [roleChange] = await events('member.role_change', membershipId);
    expect(roleChange?.changes?.role).toEqual({ before: 'User', after: 'Member readers' });
  });

  it('refuses 409 changing or deleting a built-in role, and leaves it unchanged', async () => {
    const viewerRoleId = await roleIdByKey('viewer');
    const row = async () =>
      (
        await t.owner<{ row: string }>(
          'SELECT to_jsonb(r)::text AS row FROM roles r WHERE org_id = $1 AND id = $2',
          [admin.orgId, viewerRoleId],
        )
      ).rows[0]?.row;
    const before = await row();
    const patch = await api(admin, 'PATCH', `/api/v1/roles/${viewerRoleId}`, {
      permissions: ['organization:read', 'members:read'],
    });
    expectProblem(patch, 409, 'conflict');
    const rename = await api(admin, 'PATCH', `/api/v1/roles/${viewerRoleId}`, { name: 'Watcher' });
    expectProblem(rename, 409, 'conflict');
    const del = await api(admin, 'DELETE', `/api/v1/roles/${viewerRoleId}`);
    expectProblem(del, 409, 'conflict');
    expect(await row()).toBe(before);
  });

  it('deletes a custom role nobody holds (204) and audits role.delete', async () => {
    const role = await createRole('Short lived', ['departments:read']);
    const del = await api(admin, 'DELETE', `/api/v1/roles/${role.id}`);
    expect(del.statusCode).toBe(204);
    expect((await api(admin, 'GET', `/api/v1/roles/${role.id}`)).statusCode).toBe(404);
    const audit = await api(admin, 'GET', `/api/v1/audit/search?action=role.delete&resource_id=${role.id}`);
    expect(audit.json().items).toHaveLength(1);
  });
});

describe('API keys', () => {
  async function newKey(s: Session, scopes: string[], name = 'machine') {
    const res = await api(s, 'POST', '/api/v1/api-keys', { name, scopes });
    if (res.statusCode !== 201) throw new Error(`key create failed: ${res.statusCode} ${res.body}`);
    return res.json() as { id: string; key: string; scopes: string[] };
  }
  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

  it('limits a key to its scopes: members:read lists members but gets 403 on roles', async () => {
    const k = await newKey(admin, ['members:read']);
    const list = await api(bearer(k.key), 'GET', '/api/v1/members');
    expect(list.statusCode).toBe(200);
    expect(list.json().items.length).toBeGreaterThan(1);
    const roles = await api(bearer(k.key), 'GET', '/api/v1/roles');
    expectProblem(roles, 403, 'forbidden');
    expect(roles.json().permission).toBe('roles:read');
    const me = await api(bearer(k.key), 'GET', '/api/v1/auth/me');
    expect(me.json().authMethod).toBe('api_key');
    expect(me.json().permissions).toEqual(['members:read']);
  });

  it('refuses 403 a key carrying a scope its creator lacks, and stores no key', async () => {
    const count = async () =>
      (
        await t.owner<{ n: number }>('SELECT count(*)::int AS n FROM api_keys WHERE user_id = $1', [
          members.developer!.userId,
        ])
      ).rows[0]!.n;
    const before = await count();
    const res = await api(members.developer!, 'POST', '/api/v1/api-keys', {
      name: 'too strong',
      scopes: ['members:read', 'audit:read'],
    });
    expectProblem(res, 403, 'forbidden');
    expect(res.json().detail).toContain('audit:read');
    expect(await count()).toBe(before);
  });

  it('answers 401 invalid-token for a revoked key', async () => {
    const k = await newKey(admin, ['members:read']);
    expect((await api(bearer(k.key), 'GET', '/api/v1/members')).statusCode).toBe(200);
    const revoke = await api(admin, 'DELETE', `/api/v1/api-keys/${k.id}`);
    expect(revoke.statusCode).toBe(204);
    expectProblem(await api(bearer(k.key), 'GET', '/api/v1/members'), 401, 'invalid-token');
  });

  it('answers 401 invalid-token for an expired key', async () => {
    const k = await newKey(admin, ['members:read']);
    expect((await api(bearer(k.key), 'GET', '/api/v1/members')).statusCode).toBe(200);
    await t.owner("UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1", [k.id]);
    expectProblem(await api(bearer(k.key), 'GET', '/api/v1/members'), 401, 'invalid-token');
  });

  it('records last_used_at after the key is used', async () => {
    const k = await newKey(admin, ['members:read']);
    const lastUsed = async () =>
      (await t.owner<{ at: Date | null }>('SELECT last_used_at AS at FROM api_keys WHERE id = $1', [k.id]))
        .rows[0]!.at;
    expect(await lastUsed()).toBeNull();
    expect((await api(bearer(k.key), 'GET', '/api/v1/members')).statusCode).toBe(200);
    // Written off the request path: wait for it to land (bounded, not a speed assertion).
    await vi.waitFor(async () => expect(await lastUsed()).not.toBeNull(), { timeout: 10_000, interval: 50 });
    const listed = (await api(admin, 'GET', '/api/v1/api-keys'))
      .json()
      .items.find((i: { id: string }) => i.id === k.id);
    expect(listed.lastUsedAt).not.toBeNull();
  });

  it('returns the secret once and stores only its digest', async () => {
    const k = await newKey(admin, ['members:read']);
    expect(k.key).toMatch(/^bul_/);
    const listed = (await api(admin, 'GET', '/api/v1/api-keys'))
      .json()
      .items.find((i: { id: string }) => i.id === k.id);
    expect(listed).toBeDefined();
    expect(listed).not.toHaveProperty('key');
    expect(JSON.stringify(listed)).not.toContain(k.key);
    const { rows } = await t.owner<{ row: string; key_hash: string }>(
      'SELECT to_jsonb(k)::text AS row, key_hash FROM api_keys k WHERE id = $1',
      [k.id],
    );
    expect(rows[0]!.key_hash).toBe(createHash('sha256').update(k.key).digest('hex'));
    const secretPart = k.key.slice(4);
    expect(rows[0]!.row).not.toContain(k.key);
    expect(rows[0]!.row).not.toContain(secretPart);
    // Nor does the audit trail keep it.
    const audit = await t.owner<{ n: number }>(
      'SELECT count(*)::int AS n FROM audit_events WHERE org_id = $1 AND position($2 in to_jsonb(audit_events)::text) > 0',
      [admin.orgId, secretPart],
    );
    expect(audit.rows[0]!.n).toBe(0);
  });
});

describe('platform super admin', () => {
  it('refuses 403 an org_admin on /api/v1/admin/organizations', async () => {
    const res = await api(admin, 'GET', '/api/v1/admin/organizations');
    expectProblem(res, 403, 'forbidden');
    expect(res.json().permission).toBe('platform:admin');
  });

  it('gives a super admin platform:admin and lets them act in an organization they are not a member of', async () => {
    const founder = await signUp(t, { orgName: 'Platform Ops' });
    await t.owner('UPDATE users SET is_super_admin = true WHERE id = $1', [founder.userId]);
    const sa = await login(t, founder.email);
    const me = await api(sa, 'GET', '/api/v1/auth/me');
    expect(me.json().permissions).toContain('platform:admin');

    const orgs = await api(sa, 'GET', '/api/v1/admin/organizations');
    expect(orgs.statusCode).toBe(200);
    expect(orgs.json().items.map((o: { id: string }) => o.id)).toContain(admin.orgId);

    expect(
      await t.owner('SELECT 1 FROM memberships WHERE org_id = $1 AND user_id = $2', [admin.orgId, sa.userId]),
    ).toHaveProperty('rowCount', 0);
    const inOrg = { ...sa.headers, 'x-organization-id': admin.orgId };
    const org = await api(inOrg, 'GET', '/api/v1/organization');
    expect(org.statusCode).toBe(200);
    expect(org.json().id).toBe(admin.orgId);
    const list = await api(inOrg, 'GET', '/api/v1/members?limit=200');
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((m: { userId: string }) => m.userId)).toContain(admin.userId);
  });
});
